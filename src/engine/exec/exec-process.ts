import { readFile } from 'node:fs/promises';
import { internal } from '../../errors/engine-error.js';
import type { ContainerRecord } from '../containers/container-model.js';
import { allCapabilities, mergeConfigEnv, processEnv } from '../containers/oci-spec.js';
import { resolveUser } from '../containers/user.js';
import type { ExecConfig } from './exec-model.js';

/**
 * The OCI process for `runtime exec`: the container's own process (caps,
 * rlimits, apparmor …) with the exec's command, env, user, cwd and TTY —
 * moby's exec policy (env = container env then exec env, user and working
 * dir default to the container's). Also returns the container spec's `linux`
 * section (its seccomp filter, for runtimes that enter the container themselves).
 */
export async function execSpecs(c: ContainerRecord, config: ExecConfig): Promise<{ process: Record<string, unknown>; linux: Record<string, unknown> }> {
  const { process: base, linux } = await containerSpec(c);
  const user = await resolveUser(c.runtime.rootfs, config.User !== '' ? config.User : c.config.User, { groupAdd: c.hostConfig.GroupAdd ?? [] });
  const baseCaps = (base['capabilities'] as { bounding?: string[] } | undefined)?.bounding ?? [];
  const caps = config.Privileged ? await hostBoundingCaps() : baseCaps;
  const env = processEnv(mergeConfigEnv(config.Env, c.config.Env), c.config.Hostname, config.Tty);
  const { consoleSize: _size, ...rest } = base;
  const proc = {
    ...rest,
    terminal: config.Tty,
    ...(config.Tty && config.ConsoleSize && config.ConsoleSize[0] > 0 && config.ConsoleSize[1] > 0
      ? { consoleSize: { height: config.ConsoleSize[0], width: config.ConsoleSize[1] } }
      : {}),
    user: { uid: user.uid, gid: user.gid, additionalGids: [...user.additionalGids] },
    args: [...config.Cmd],
    env,
    cwd: config.WorkingDir !== '' ? config.WorkingDir : c.config.WorkingDir !== '' ? c.config.WorkingDir : '/',
    capabilities: user.uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps },
  };
  return { process: proc, linux };
}

interface SpecParts {
  readonly process: Record<string, unknown>;
  readonly linux: Record<string, unknown>;
}

/** The running container's spec parts, per container and start (config.json is written once per start). */
const specCache = new Map<string, { readonly startedAt: string; readonly parts: SpecParts }>();
const SPEC_CACHE_MAX = 256;

async function containerSpec(c: ContainerRecord): Promise<SpecParts> {
  const hit = specCache.get(c.id);
  if (hit && hit.startedAt === c.state.StartedAt) return hit.parts;
  let parts: SpecParts;
  try {
    const spec = JSON.parse(await readFile(`${c.runtime.bundleDir}/config.json`, 'utf8')) as { process?: Record<string, unknown>; linux?: Record<string, unknown> };
    parts = { process: spec.process ?? {}, linux: spec.linux ?? {} };
  } catch (err) {
    throw internal(`exec: reading the container's spec: ${(err as Error).message}`, { cause: err });
  }
  if (specCache.size >= SPEC_CACHE_MAX) specCache.delete(specCache.keys().next().value ?? '');
  specCache.set(c.id, { startedAt: c.state.StartedAt, parts });
  return parts;
}

/** All capabilities the daemon itself holds (moby: the host's known caps); a cap outside them cannot be granted. */
async function hostBoundingCaps(): Promise<string[]> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return [...allCapabilities];
  const mask = BigInt(`0x${hex}`);
  return allCapabilities.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
