import { rm } from 'node:fs/promises';
import { enginePaths } from '../engine-context.js';
import { readExitCode, removeExitFile } from '../../runtime/exit-files.js';
import { captureDone } from '../../logging/log-capture.js';
import { allContainers, getContainerById, saveContainerState } from './container-repo.js';
import { nowRfc3339Nano } from './container-model.js';
import { unmountRootfs } from './rootfs.js';
import { releaseShm } from './namespace-modes.js';
import { removeContainerLocked } from './remove.js';
import { scheduleRestartOnExit } from './restart-policy.js';
import { takeOomMarker } from './resources-oom.js';
import { releaseContainerNetwork } from '../network/container-network.js';
import { publishVolumeUnmounts } from '../volumes/volume-events.js';
import type { ContainerSupervisor } from './supervisor.js';

/**
 * Records that a container's process ended: state, runtime cleanup, rootfs
 * unmount, 'die' event, waiters, and AutoRemove.
 */
export async function handleContainerExit(sup: ContainerSupervisor, id: string, exitCode: number): Promise<void> {
  const ctx = sup.ctx;
  let autoRemove = false;
  await sup.withLock(id, async () => {
    const c = getContainerById(ctx.db, id);
    if (!c || !c.state.Running) {
      await removeExitFile(enginePaths.exitDir(ctx.settings), id);
      return;
    }
    const oomKilled = await takeOomMarker(sup, c);
    // The log writer ends just after conmon: `wait` then `logs` must see the last lines (bounded; a killed writer is not waited for).
    await captureDone(c.runtime.bundleDir, 2_000);
    const runtime = ctx.runtimes.get(c.runtime.runtime);
    await runtime?.delete(id, { force: true }).catch((err: unknown) => {
      ctx.log.warn('runtime delete failed', { id, error: (err as Error).message });
    });
    await unmountRootfs(c).catch((err: unknown) => ctx.log.warn('unmount failed', { id, error: (err as Error).message }));
    await releaseContainerNetwork(ctx, c).catch((err: unknown) => ctx.log.warn('network release failed', { id, error: (err as Error).message }));
    await releaseShm(c).catch((err: unknown) => ctx.log.warn('shm unmount failed', { id, error: (err as Error).message }));
    await rm(`${c.runtime.bundleDir}/attach`, { force: true }).catch(() => undefined);
    c.state = {
      ...c.state,
      Status: 'exited',
      Running: false,
      Paused: false,
      Restarting: false,
      Pid: 0,
      ExitCode: exitCode,
      FinishedAt: nowRfc3339Nano(),
      OOMKilled: oomKilled,
    };
    c.runtime.conmonPid = 0;
    saveContainerState(ctx.db, c);
    await removeExitFile(enginePaths.exitDir(ctx.settings), id);
    ctx.events.publish('container', 'die', id, { exitCode: String(exitCode), image: c.imageRef, name: c.name, ...c.config.Labels });
    publishVolumeUnmounts(ctx, c);
    scheduleRestartOnExit(sup, c, exitCode);
    sup.notifyExit(c);
    autoRemove = c.hostConfig.AutoRemove && !sup.removing.has(id);
    if (autoRemove) {
      sup.removing.add(id);
      try {
        await removeContainerLocked(sup, c);
      } finally {
        sup.removing.delete(id);
      }
    }
  });
}

/**
 * After a daemon (re)start: containers recorded as running either still run
 * under their conmon (re-adopted) or ended while we were away (exit recorded).
 */
export async function reconcileContainers(sup: ContainerSupervisor): Promise<void> {
  const ctx = sup.ctx;
  const exitDir = enginePaths.exitDir(ctx.settings);
  for (const c of allContainers(ctx.db)) {
    if (!c.state.Running) continue;
    const code = await readExitCode(exitDir, c.id);
    if (code !== undefined) {
      await handleContainerExit(sup, c.id, code);
      continue;
    }
    const runtime = ctx.runtimes.get(c.runtime.runtime);
    const st = await runtime?.state(c.id).catch(() => undefined);
    if (!st || st.status === 'stopped') {
      // Ended without an exit file (conmon died too): Docker reports 255 for an unknown exit.
      const late = await readExitCode(exitDir, c.id);
      await handleContainerExit(sup, c.id, late ?? 255);
      continue;
    }
    ctx.log.info('re-adopted running container', { id: c.id, pid: st.pid });
  }
}
