import { mkdir } from 'node:fs/promises';
import type { EngineContext } from '../engine-context.js';
import type { ContainerRecord } from './container-model.js';
import { mount, umount2 } from '../../lib/syscalls.js';
import { isMountPoint } from '../../lib/mount-table.js';
import { internal } from '../../errors/engine-error.js';

const MNT_DETACH = 2;

/** Mounts the container's overlay rootfs at runtime.rootfs unless it already is. */
export async function mountRootfs(ctx: EngineContext, c: ContainerRecord): Promise<void> {
  await mkdir(c.runtime.rootfs, { recursive: true });
  if (await isMountPoint(c.runtime.rootfs)) return;
  const mounts = await ctx.snapshots.prepareWritable(c.runtime.rwDir, c.runtime.chainIds);
  for (const m of mounts) {
    try {
      mount(m.source, c.runtime.rootfs, m.type, 0, m.options.join(','));
    } catch (err) {
      throw internal(`error mounting container rootfs: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Lazily unmounts the rootfs; absent mounts are fine. */
export async function unmountRootfs(c: ContainerRecord): Promise<void> {
  while (await isMountPoint(c.runtime.rootfs)) {
    umount2(c.runtime.rootfs, MNT_DETACH);
  }
}
