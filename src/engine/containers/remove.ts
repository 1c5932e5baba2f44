import { rm } from 'node:fs/promises';
import { releaseCapture, stopCapture } from '../../logging/log-capture.js';
import { conflict } from '../../errors/engine-error.js';
import { requireContainer, removeContainerRecord, getContainerById } from './container-repo.js';
import type { ContainerRecord } from './container-model.js';
import { unmountRootfs } from './rootfs.js';
import { releaseShm } from './namespace-modes.js';
import { releaseContainerNetwork } from '../network/container-network.js';
import { SIGKILL } from './signals.js';
import type { ContainerSupervisor } from './supervisor.js';
import { removeAnonymousVolumes } from '../volumes/release-mounts.js';
import { removeExecsOfContainer } from '../exec/exec-repo.js';

export interface RemoveOptions {
  readonly force?: boolean;
  readonly volumes?: boolean;
}

/** DELETE /containers/{id}. */
export async function removeContainer(sup: ContainerSupervisor, ref: string, opts: RemoveOptions = {}): Promise<void> {
  const first = requireContainer(sup.ctx.db, ref);
  if (sup.removing.has(first.id)) throw conflict(`removal of container ${ref} is already in progress`);
  if (first.state.Running && !opts.force) {
    throw conflict(`You cannot remove a running container ${first.id}. Stop the container before attempting removal or force remove`); // dockerd 20.10
  }
  sup.removing.add(first.id);
  try {
    if (first.state.Running) {
      const runtime = sup.ctx.runtimes.get(first.runtime.runtime);
      const exited = sup.waitFor(first, 'next-exit');
      first.runtime.stoppedByUser = true;
      await runtime?.kill(first.id, SIGKILL);
      await releaseCapture(first.runtime.bundleDir);
      sup.ctx.events.publish('container', 'kill', first.id, { image: first.imageRef, name: first.name, signal: String(SIGKILL) });
      await exited;
    }
    await sup.withLock(first.id, async () => {
      const c = getContainerById(sup.ctx.db, first.id);
      if (!c) return;
      await removeContainerLocked(sup, c, { volumes: opts.volumes === true });
    });
  } finally {
    sup.removing.delete(first.id);
  }
}

/** Deletes everything the container owns. Caller holds the lock and knows it is not running. */
export async function removeContainerLocked(sup: ContainerSupervisor, c: ContainerRecord, opts: { volumes?: boolean } = {}): Promise<void> {
  const ctx = sup.ctx;
  c.state = { ...c.state, Status: 'removing' };
  const runtime = ctx.runtimes.get(c.runtime.runtime);
  // The exit handler already deleted the runtime record of a container that ran; only a live pid needs it.
  if (c.state.Pid > 0) await runtime?.delete(c.id, { force: true }).catch(() => undefined);
  await unmountRootfs(c);
  await releaseShm(c);
  await releaseContainerNetwork(ctx, c);
  await ctx.snapshots.removeWritable(c.runtime.rwDir);
  await stopCapture(c.runtime.bundleDir);
  await rm(c.runtime.bundleDir, { recursive: true, force: true });
  await rm(c.runtime.containerDir, { recursive: true, force: true });
  removeContainerRecord(ctx.db, c.id);
  removeExecsOfContainer(ctx.db, c.id);
  // `rm -v` and AutoRemove (`run --rm`) take the container's anonymous volumes with it, as Docker.
  if (opts.volumes === true || c.hostConfig.AutoRemove) await removeAnonymousVolumes(ctx, c.runtime.mounts);
  ctx.events.publish('container', 'destroy', c.id, { image: c.imageRef, name: c.name, ...c.config.Labels });
  sup.notifyRemoved(c);
}
