import { readFile } from 'node:fs/promises';
import { allCapabilities } from './oci-spec.js';
import type { OciSpec } from '../../runtime/oci-spec-types.js';

let bounding: Set<string> | undefined;

/** The daemon's own capability bounding set, by name (from /proc/self/status CapBnd). */
async function hostBoundingSet(): Promise<Set<string>> {
  if (bounding) return bounding;
  const status = await readFile('/proc/self/status', 'utf8');
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  const mask = BigInt(`0x${hex}`);
  bounding = new Set(allCapabilities.filter((_name, bit) => ((mask >> BigInt(bit)) & 1n) === 1n));
  return bounding;
}

/**
 * Drops capabilities the host itself does not have: the runtime cannot grant
 * them and fails ("unable to apply caps"). Docker likewise builds "all
 * capabilities" from what the host supports.
 */
export async function limitToHostCapabilities(spec: OciSpec): Promise<OciSpec> {
  const host = await hostBoundingSet();
  const caps = spec.process?.capabilities;
  if (!caps) return spec;
  const keep = (list: readonly string[] | undefined): string[] | undefined => list?.filter((c) => host.has(c));
  return {
    ...spec,
    process: {
      ...spec.process,
      capabilities: {
        ...caps,
        bounding: keep(caps.bounding),
        effective: keep(caps.effective),
        permitted: keep(caps.permitted),
        inheritable: keep(caps.inheritable),
        ambient: keep(caps.ambient),
      },
    },
  } as OciSpec;
}
