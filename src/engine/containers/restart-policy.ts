import { getContainerById, saveContainerState } from './container-repo.js';
import type { ContainerRecord } from './container-model.js';
import { runContainerProcess } from './start.js';
import type { ContainerSupervisor } from './supervisor.js';

/** Docker's restart manager back-off: 100 ms doubling per restart, at most a minute, back to 100 ms after 10 s up. */
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;
const STABLE_RUN_MS = 10_000;

const backoff = new WeakMap<ContainerSupervisor, Map<string, number>>();
const timers = new WeakMap<ContainerSupervisor, Map<string, NodeJS.Timeout>>();

function mapOf<V>(store: WeakMap<ContainerSupervisor, Map<string, V>>, sup: ContainerSupervisor): Map<string, V> {
  let m = store.get(sup);
  if (!m) {
    m = new Map();
    store.set(sup, m);
  }
  return m;
}

/** Whether the policy wants the container back after this exit (moby restartmanager.ShouldRestart). */
export function shouldRestart(c: ContainerRecord, exitCode: number): boolean {
  if (c.runtime.stoppedByUser || c.hostConfig.AutoRemove) return false;
  const policy = c.hostConfig.RestartPolicy;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.MaximumRetryCount === 0 || c.runtime.restartCount < policy.MaximumRetryCount);
    default:
      return false;
  }
}

/**
 * Called by the exit handler (lock held) after the exit was recorded. When
 * the policy says so, marks the container `restarting` and schedules the
 * start after the back-off. Returns whether a restart is scheduled.
 */
export function scheduleRestartOnExit(sup: ContainerSupervisor, c: ContainerRecord, exitCode: number, opts: { failedStart?: boolean } = {}): boolean {
  if (!shouldRestart(c, exitCode)) {
    mapOf(backoff, sup).delete(c.id);
    return false;
  }
  const delays = mapOf(backoff, sup);
  const ranMs = Date.now() - Date.parse(c.state.StartedAt);
  const previous = delays.get(c.id);
  const delay = previous === undefined || (ranMs >= STABLE_RUN_MS && !opts.failedStart) ? BACKOFF_START_MS : Math.min(previous * 2, BACKOFF_MAX_MS);
  delays.set(c.id, delay);
  c.state = { ...c.state, Status: 'restarting', Restarting: true };
  saveContainerState(sup.ctx.db, c);
  const pending = mapOf(timers, sup);
  clearTimeout(pending.get(c.id));
  const timer = setTimeout(() => {
    pending.delete(c.id);
    void restartNow(sup, c.id);
  }, delay);
  timer.unref();
  pending.set(c.id, timer);
  return true;
}

/** Forgets a scheduled restart (user start/stop/rm); the caller then records the state it wants. */
export function cancelScheduledRestart(sup: ContainerSupervisor, id: string): void {
  const pending = mapOf(timers, sup);
  clearTimeout(pending.get(id));
  pending.delete(id);
}

/** A manual start resets the back-off and the restart count (moby ResetRestartManager). */
export function resetRestartState(sup: ContainerSupervisor, c: ContainerRecord): void {
  cancelScheduledRestart(sup, c.id);
  mapOf(backoff, sup).delete(c.id);
  c.runtime.restartCount = 0;
}

/**
 * `stop` of a container waiting to be restarted: the restart is cancelled and
 * it stays exited. Returns false when it was not restarting.
 */
export function stopScheduledRestart(sup: ContainerSupervisor, c: ContainerRecord): boolean {
  if (!c.state.Restarting || c.state.Running) return false;
  cancelScheduledRestart(sup, c.id);
  c.runtime.stoppedByUser = true;
  c.state = { ...c.state, Status: 'exited', Restarting: false };
  saveContainerState(sup.ctx.db, c);
  return true;
}

/** A container the daemon stopped at its shutdown was not stopped by the user: its policy brings it back at the next start. */
export function markStoppedByDaemon(sup: ContainerSupervisor, id: string): void {
  const c = getContainerById(sup.ctx.db, id);
  if (!c) return;
  c.runtime.stoppedByUser = false;
  saveContainerState(sup.ctx.db, c);
}

async function restartNow(sup: ContainerSupervisor, id: string): Promise<void> {
  const ctx = sup.ctx;
  await sup.withLock(id, async () => {
    const c = getContainerById(ctx.db, id);
    if (!c || !c.state.Restarting || c.state.Running || sup.removing.has(id)) return;
    if (c.runtime.stoppedByUser) {
      c.state = { ...c.state, Status: 'exited', Restarting: false };
      saveContainerState(ctx.db, c);
      return;
    }
    c.runtime.restartCount += 1;
    try {
      await runContainerProcess(sup, c);
    } catch (err) {
      ctx.log.warn('restart by policy failed', { id, error: (err as Error).message });
      const failed = getContainerById(ctx.db, id);
      if (failed) {
        failed.state = { ...failed.state, Status: 'exited', Restarting: false };
        saveContainerState(ctx.db, failed);
        // Docker keeps trying with the back-off while the policy allows it.
        if (shouldRestart(failed, failed.state.ExitCode)) scheduleRestartOnExit(sup, failed, failed.state.ExitCode, { failedStart: true });
      }
    }
  });
}

/**
 * At daemon start (after reconciling): `always` containers and
 * `unless-stopped` ones not stopped by the user come back, as dockerd does
 * when live-restore did not keep them running.
 */
export async function restartContainersAtBoot(sup: ContainerSupervisor, all: readonly ContainerRecord[]): Promise<void> {
  for (const c of all) {
    if (c.state.Running) continue;
    const policy = c.hostConfig.RestartPolicy.Name;
    const wanted = (policy === 'always' || policy === 'unless-stopped') && !c.runtime.stoppedByUser;
    const wasRestarting = c.state.Restarting && policy === 'on-failure' && !c.runtime.stoppedByUser;
    if (!wanted && !wasRestarting) continue;
    await sup
      .withLock(c.id, async () => {
        const now = getContainerById(sup.ctx.db, c.id);
        if (!now || now.state.Running) return;
        await runContainerProcess(sup, now);
      })
      .catch((err: unknown) => sup.ctx.log.warn('restart at daemon start failed', { id: c.id, error: (err as Error).message }));
  }
}
