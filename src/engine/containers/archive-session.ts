import { stat } from 'node:fs/promises';
import { isMountPoint } from '../../lib/mount-table.js';
import type { ContainerRecord } from './container-model.js';
import { requireContainer } from './container-repo.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import type { ContainerSupervisor } from './supervisor.js';
import type { FsView } from './archive-view.js';

/** The container's filesystem view, available while `fn` runs. */
export interface ArchiveSession {
  readonly container: ContainerRecord;
  readonly view: FsView;
  readonly running: boolean;
}

/**
 * Runs `fn` with a view of the container's filesystem. A running container
 * is seen through /proc/<pid>/root (its own mount namespace, volumes and
 * tmpfs included); a stopped one gets its rootfs mounted for the duration,
 * under the container's lock so a start cannot race, with its volumes and
 * binds mapped in.
 */
export async function withContainerFs<T>(sup: ContainerSupervisor, ref: string, fn: (s: ArchiveSession) => Promise<T>): Promise<T> {
  const first = requireContainer(sup.ctx.db, ref);
  const firstRoot = await liveRoot(first);
  if (firstRoot !== undefined) return fn({ container: first, view: { root: firstRoot, mounts: [] }, running: true });
  return sup.withLock(first.id, async () => {
    const c = requireContainer(sup.ctx.db, first.id);
    const root = await liveRoot(c);
    if (root !== undefined) return fn({ container: c, view: { root, mounts: [] }, running: true });
    const wasMounted = await isMountPoint(c.runtime.rootfs);
    await mountRootfs(sup.ctx, c);
    try {
      const mounts = (c.runtime.mounts ?? [])
        .filter((m) => m.type !== 'tmpfs' && m.source !== '')
        .map((m) => ({ destination: m.destination, source: m.subpath !== undefined ? `${m.source}/${m.subpath}` : m.source }));
      return await fn({ container: c, view: { root: c.runtime.rootfs, mounts }, running: false });
    } finally {
      if (!wasMounted) await unmountRootfs(c).catch(() => undefined);
    }
  });
}

/**
 * The running container's root as its processes see it. Undefined once the
 * process is gone, and when the pid now belongs to someone else: the root
 * must be the container's own rootfs (same device and inode), never the host's.
 */
async function liveRoot(c: ContainerRecord): Promise<string | undefined> {
  if (!c.state.Running || c.state.Pid <= 0) return undefined;
  const root = `/proc/${c.state.Pid}/root`;
  const [seen, own] = await Promise.all([stat(root).catch(() => undefined), stat(c.runtime.rootfs).catch(() => undefined)]);
  if (!seen || !own || seen.dev !== own.dev || seen.ino !== own.ino) return undefined;
  return root;
}
