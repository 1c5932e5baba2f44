import { invalidArgument } from '../../errors/engine-error.js';
import { labelsMatch } from '../volumes/list.js';
import { allContainers } from './container-repo.js';
import { removeContainer } from './remove.js';
import { containerSize } from './size.js';
import type { ContainerSupervisor } from './supervisor.js';

export interface ContainerPruneReport {
  ContainersDeleted: string[];
  SpaceReclaimed: number;
}

/** Docker's `until` filter: a timestamp (RFC3339, unix seconds) or a duration before now ("10m", "2h"). */
export function parseUntil(value: string, now = Date.now()): number {
  const dur = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(value);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return now - Number(dur[1]) * (mult[dur[2] as string] ?? 1);
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw invalidArgument(`failed to parse value as time or duration: "${value}"`);
  return t;
}

/** Checks `label`, `label!` and `until` filters of a prune request. */
export function pruneMatcher(filters: ReadonlyMap<string, readonly string[]>, allowed: readonly string[]): (labels: Record<string, string>, createdMs: number) => boolean {
  for (const k of filters.keys()) if (!allowed.includes(k)) throw invalidArgument(`Invalid filter '${k}'`);
  const until = (filters.get('until') ?? []).map((u) => parseUntil(u));
  const labels = filters.get('label');
  const notLabels = filters.get('label!');
  return (l, created) => {
    if (until.some((u) => created >= u)) return false;
    if (labels && !labelsMatch(l, labels)) return false;
    if (notLabels && notLabels.some((x) => labelsMatch(l, [x]))) return false;
    return true;
  };
}

/** POST /containers/prune: every stopped container matching the filters; reclaimed = their own layers. */
export async function pruneContainers(sup: ContainerSupervisor, filters: ReadonlyMap<string, readonly string[]>): Promise<ContainerPruneReport> {
  const match = pruneMatcher(filters, ['label', 'label!', 'until']);
  const report: ContainerPruneReport = { ContainersDeleted: [], SpaceReclaimed: 0 };
  for (const c of allContainers(sup.ctx.db)) {
    if (c.state.Running || c.state.Paused || c.state.Restarting || sup.removing.has(c.id)) continue;
    if (!match(c.config.Labels, Date.parse(c.created))) continue;
    const { sizeRw } = await containerSize(sup.ctx, c);
    try {
      await removeContainer(sup, c.id);
    } catch (err) {
      sup.ctx.log.warn('container prune: remove failed', { id: c.id, error: (err as Error).message });
      continue;
    }
    report.ContainersDeleted.push(c.id);
    report.SpaceReclaimed += sizeRw;
  }
  if (report.ContainersDeleted.length > 0) sup.ctx.events.publish('container', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
  return report;
}
