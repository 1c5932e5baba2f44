import { conflict, notModified } from '../../errors/engine-error.js';
import { requireContainer, saveContainerState } from './container-repo.js';
import type { ContainerRecord } from './container-model.js';
import { parseSignal, SIGKILL } from './signals.js';
import type { ContainerSupervisor } from './supervisor.js';
import { stopScheduledRestart } from './restart-policy.js';
import { releaseCapture } from '../../logging/log-capture.js';

export interface StopOptions {
  readonly signal?: string;
  /** Seconds to wait before SIGKILL; -1 waits forever. */
  readonly timeout?: number;
}

/** POST /containers/{id}/stop: signal, wait, then SIGKILL. 304 when not running. */
export async function stopContainer(sup: ContainerSupervisor, ref: string, opts: StopOptions = {}): Promise<void> {
  const c = requireContainer(sup.ctx.db, ref);
  if (stopScheduledRestart(sup, c)) return;
  if (!c.state.Running) throw notModified('container already stopped');
  await stopRunning(sup, c, opts);
  sup.ctx.events.publish('container', 'stop', c.id, { image: c.imageRef, name: c.name, ...c.config.Labels });
}

/** Stops a running container and resolves once its exit is recorded. */
export async function stopRunning(sup: ContainerSupervisor, c: ContainerRecord, opts: StopOptions): Promise<void> {
  const ctx = sup.ctx;
  const runtime = ctx.runtimes.get(c.runtime.runtime);
  if (!runtime) throw conflict(`runtime ${c.runtime.runtime} is not configured`);
  c.runtime.stoppedByUser = true;
  saveContainerState(ctx.db, c);
  const signal = parseSignal(opts.signal ?? c.config.StopSignal ?? 'SIGTERM');
  const timeout = opts.timeout ?? c.config.StopTimeout ?? 10;
  const exited = sup.waitFor(c, 'next-exit');
  if (c.state.Paused) await runtime.resume(c.id).catch(() => undefined);
  await runtime.kill(c.id, signal);
  if (signal === SIGKILL) await releaseCapture(c.runtime.bundleDir);
  ctx.events.publish('container', 'kill', c.id, { image: c.imageRef, name: c.name, signal: String(signal) });
  if (timeout >= 0 && signal !== SIGKILL) {
    const inTime = await Promise.race([exited.then(() => true), delay(timeout * 1000).then(() => false)]);
    if (inTime) return;
    await runtime.kill(c.id, SIGKILL);
    await releaseCapture(c.runtime.bundleDir);
    ctx.events.publish('container', 'kill', c.id, { image: c.imageRef, name: c.name, signal: String(SIGKILL) });
  }
  await exited;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

