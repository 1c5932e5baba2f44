import { allContainers, getContainerById, saveContainerState } from './container-repo.js';
import type { ContainerRecord, HealthState } from './container-model.js';
import { runHealthProbe, type ProbeResult } from './health-probe.js';
import type { ContainerSupervisor } from './supervisor.js';

/** Docker's HealthConfig; durations in nanoseconds, 0 meaning the default. */
interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const NS_PER_MS = 1_000_000;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_START_INTERVAL_MS = 5_000;
const DEFAULT_RETRIES = 3;
/** moby maxLogEntries. */
const MAX_LOG = 5;

interface Monitor {
  readonly startedAt: string;
  stop(): void;
}

const monitors = new WeakMap<ContainerSupervisor, Map<string, Monitor>>();

function monitorsOf(sup: ContainerSupervisor): Map<string, Monitor> {
  let m = monitors.get(sup);
  if (!m) {
    m = new Map();
    monitors.set(sup, m);
  }
  return m;
}

/** The probe command, or undefined when the container has no (or a NONE) health check. */
export function probeCommand(c: ContainerRecord): string[] | undefined {
  const test = (c.config.Healthcheck as HealthConfig | undefined)?.Test ?? [];
  const [kind, ...rest] = test;
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length > 0) return [...(c.config.Shell ?? ['/bin/sh', '-c']), rest.join(' ')];
  return undefined;
}

const ms = (ns: number | undefined, fallback: number): number => (ns !== undefined && ns > 0 ? Math.max(1, Math.round(ns / NS_PER_MS)) : fallback);

/**
 * Health checks: one monitor per running container with a health check,
 * started on its `start` event and stopped at `die`/`destroy`. Each probe
 * runs as an exec; results go to State.Health (moby's rules: a failure
 * inside the start period of a never-healthy container does not count;
 * Retries consecutive failures make it unhealthy) and every status change
 * publishes `health_status: <status>`. Call once at daemon start.
 */
export function startHealthMonitors(sup: ContainerSupervisor): () => void {
  const unsubscribe = sup.ctx.events.subscribe((e) => {
    if (e.Type !== 'container') return;
    if (e.Action === 'start') {
      const c = getContainerById(sup.ctx.db, e.Actor.ID);
      if (c) monitorContainer(sup, c);
    } else if (e.Action === 'die' || e.Action === 'destroy') {
      stopMonitor(sup, e.Actor.ID);
    }
  });
  for (const c of allContainers(sup.ctx.db)) if (c.state.Running) monitorContainer(sup, c, { keepState: true });
  return () => {
    unsubscribe();
    for (const id of [...monitorsOf(sup).keys()]) stopMonitor(sup, id);
  };
}

function stopMonitor(sup: ContainerSupervisor, id: string): void {
  const m = monitorsOf(sup).get(id);
  monitorsOf(sup).delete(id);
  m?.stop();
}

function monitorContainer(sup: ContainerSupervisor, c: ContainerRecord, opts: { keepState?: boolean } = {}): void {
  stopMonitor(sup, c.id);
  const cmd = probeCommand(c);
  if (!cmd) {
    if (c.state.Health) void updateHealth(sup, c.id, c.state.StartedAt, () => undefined);
    return;
  }
  const hc = (c.config.Healthcheck ?? {}) as HealthConfig;
  const interval = ms(hc.Interval, DEFAULT_INTERVAL_MS);
  const timeout = ms(hc.Timeout, DEFAULT_TIMEOUT_MS);
  const startPeriod = ms(hc.StartPeriod, 0);
  const startInterval = ms(hc.StartInterval, DEFAULT_START_INTERVAL_MS);
  const retries = hc.Retries !== undefined && hc.Retries > 0 ? hc.Retries : DEFAULT_RETRIES;
  const startedAt = c.state.StartedAt;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  monitorsOf(sup).set(c.id, {
    startedAt,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  });
  if (!opts.keepState || !c.state.Health) {
    void updateHealth(sup, c.id, startedAt, () => ({ Status: 'starting', FailingStreak: 0, Log: [] }));
  }
  const inStartPeriod = (): boolean => Date.now() - Date.parse(startedAt) < startPeriod;
  const schedule = (): void => {
    if (stopped) return;
    // moby: during the start period of a container not yet healthy, probes come every StartInterval
    // (no Health yet: the first schedule can run before the 'starting' state is written).
    const current = getContainerById(sup.ctx.db, c.id);
    const wait = hc.StartInterval !== undefined && hc.StartInterval > 0 && inStartPeriod() && (current?.state.Health?.Status ?? 'starting') === 'starting' ? startInterval : interval;
    timer = setTimeout(() => void probe(), wait);
    timer.unref();
  };
  const probe = async (): Promise<void> => {
    const now = getContainerById(sup.ctx.db, c.id);
    if (stopped || !now || !now.state.Running || now.state.StartedAt !== startedAt) return;
    const result = now.state.Paused ? undefined : await runHealthProbe(sup, now, cmd, timeout);
    if (stopped || !result) {
      schedule();
      return;
    }
    await updateHealth(sup, c.id, startedAt, (h) => applyResult(h ?? { Status: 'starting', FailingStreak: 0, Log: [] }, result, { retries, inStartPeriod: Date.parse(result.Start) - Date.parse(startedAt) < startPeriod }));
    schedule();
  };
  schedule();
}

function applyResult(h: HealthState, r: ProbeResult, opts: { retries: number; inStartPeriod: boolean }): HealthState {
  const next: HealthState = { ...h, Log: [...h.Log, r].slice(-MAX_LOG) };
  if (r.ExitCode === 0) return { ...next, Status: 'healthy', FailingStreak: 0 };
  if (h.Status === 'starting' && opts.inStartPeriod) return next;
  const streak = h.FailingStreak + 1;
  return { ...next, FailingStreak: streak, Status: streak >= opts.retries ? 'unhealthy' : h.Status };
}

/** Read-modify-write of State.Health under the container's lock; publishes a status change. */
async function updateHealth(sup: ContainerSupervisor, id: string, startedAt: string, change: (h: HealthState | undefined) => HealthState | undefined): Promise<void> {
  await sup
    .withLock(id, async () => {
      const c = getContainerById(sup.ctx.db, id);
      if (!c || c.state.StartedAt !== startedAt) return;
      const before = c.state.Health;
      const after = change(before);
      if (after === undefined) delete c.state.Health;
      else c.state.Health = after;
      saveContainerState(sup.ctx.db, c);
      // moby resets to "starting" silently at each start; only probe outcomes that change the status are events.
      if (after && after.Status !== 'starting' && after.Status !== before?.Status) {
        sup.ctx.events.publish('container', `health_status: ${after.Status}`, c.id, { image: c.imageRef, name: c.name, ...c.config.Labels });
      }
    })
    .catch((err: unknown) => sup.ctx.log.warn('health update failed', { id, error: (err as Error).message }));
}
