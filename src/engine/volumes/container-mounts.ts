import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { internal, notFound } from '../../errors/engine-error.js';
import { getVolumeRow } from '../../store/volume-queries.js';
import type { EngineContext } from '../engine-context.js';
import type { ContainerRecord } from '../containers/container-model.js';
import type { SpecMount } from '../containers/oci-spec.js';
import { resolveInRoot } from '../containers/user.js';
import { volumeDriver, volumeFromRow } from './volume-model.js';
import { publishVolumeMount } from './volume-events.js';

const run = promisify(execFile);

/**
 * The container's mounts for its OCI spec, called at start with the rootfs
 * mounted: volumes with driver options are mounted, an empty volume is
 * populated from the image's content at its destination (Docker's copy-up,
 * ownership and modes kept) unless `nocopy`.
 */
export async function specMountsFor(ctx: EngineContext, c: ContainerRecord): Promise<SpecMount[]> {
  const out: SpecMount[] = [];
  for (const m of c.runtime.mounts ?? []) {
    if (m.type === 'tmpfs') {
      out.push({ destination: m.destination, source: 'tmpfs', type: 'tmpfs', readonly: m.readOnly, options: m.tmpfsOptions ?? [] });
      continue;
    }
    let source = m.source;
    if (m.type === 'volume') {
      const row = getVolumeRow(ctx.db, m.name ?? '');
      if (!row) throw notFound(`get ${m.name ?? ''}: no such volume`);
      const v = volumeFromRow(ctx, row);
      source = await volumeDriver(ctx).mount(v.name, v.options);
      publishVolumeMount(ctx, c, m, v.driver);
      if (m.copyData && m.subpath === undefined) await copyUp(c.runtime.rootfs, m.destination, source);
      if (m.subpath !== undefined) source = await resolveInRoot(source, m.subpath);
    }
    const propagation = m.propagation === '' ? undefined : (m.propagation as SpecMount['propagation']);
    out.push({ destination: m.destination, source, type: 'bind', readonly: m.readOnly, ...(propagation ? { propagation } : {}), ...(m.nonRecursive ? { nonRecursive: true } : {}) });
  }
  return out;
}

async function copyUp(rootfs: string, destination: string, volumeDir: string): Promise<void> {
  if ((await readdir(volumeDir)).length > 0) return;
  const from = await resolveInRoot(rootfs, destination);
  const st = await lstat(from).catch(() => undefined);
  if (!st?.isDirectory()) return;
  try {
    await run('cp', ['-a', '--', `${from}/.`, volumeDir]);
  } catch (err) {
    throw internal(`copying image content into volume at ${destination}: ${(err as Error).message}`, { cause: err });
  }
}
