import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { isMountPoint } from '../../lib/mount-table.js';
import { requireContainer } from './container-repo.js';
import type { ContainerRecord } from './container-model.js';
import { packTree } from './archive-tar.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import type { ContainerSupervisor } from './supervisor.js';

/** Docker's init layer: files the engine puts in every container; never part of export, diff or commit. */
export const INIT_LAYER_PATHS: readonly string[] = ['.dockerenv', 'etc/hostname', 'etc/hosts', 'etc/resolv.conf', 'etc/mtab', 'dev/console'];

/**
 * Runs `fn` with the container's merged rootfs (image layers + its own
 * changes, no volumes) mounted on the host: the running container's own
 * mount, or a temporary one under the container's lock.
 */
export async function withMergedRootfs<T>(sup: ContainerSupervisor, ref: string, fn: (c: ContainerRecord, rootfs: string) => Promise<T>): Promise<T> {
  const first = requireContainer(sup.ctx.db, ref);
  return sup.withLock(first.id, async () => {
    const c = requireContainer(sup.ctx.db, first.id);
    const wasMounted = await isMountPoint(c.runtime.rootfs);
    if (!wasMounted) await mountRootfs(sup.ctx, c);
    try {
      return await fn(c, c.runtime.rootfs);
    } finally {
      if (!wasMounted && !c.state.Running) await unmountRootfs(c).catch(() => undefined);
    }
  });
}

/** GET /containers/{id}/export: the container's filesystem as one tar, `out` gets it once the container is found. */
export function exportContainer(sup: ContainerSupervisor, ref: string, open: () => Writable): Promise<void> {
  return withMergedRootfs(sup, ref, async (_c, rootfs) => {
    const out = open();
    const pack = tar.pack();
    const done = pipeline(pack, out);
    // A client that goes away rejects `done` while packing is still under way: handled below, not an unhandled rejection.
    done.catch(() => undefined);
    try {
      await packTree(pack, { root: rootfs, mounts: [] }, [], '', {
        skip: (comps) => INIT_LAYER_PATHS.includes(comps.join('/')),
        ...(sup.ctx.settings.userns ? { idMap: sup.ctx.settings.userns.idMap } : {}),
      });
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
    await done;
  });
}
