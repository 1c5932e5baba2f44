import { invalidArgument } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { volumeUsage } from './inspect.js';
import { labelsMatch, listVolumes } from './list.js';
import { removeVolume } from './remove.js';
import { volumeRefCounts } from './volume-usage.js';

export interface PruneReport {
  VolumesDeleted: string[];
  SpaceReclaimed: number;
}

/** POST /volumes/prune: unused anonymous volumes, or every unused volume with `all=true`; label filters. */
export async function pruneVolumes(ctx: EngineContext, filters: ReadonlyMap<string, readonly string[]>): Promise<PruneReport> {
  for (const k of filters.keys()) if (!['label', 'label!', 'all'].includes(k)) throw invalidArgument(`Invalid filter '${k}'`);
  const allValues = filters.get('all') ?? [];
  const all = allValues.some((v) => ['true', '1'].includes(v.toLowerCase()));
  const refs = volumeRefCounts(ctx);
  const report: PruneReport = { VolumesDeleted: [], SpaceReclaimed: 0 };
  for (const v of listVolumes(ctx, new Map())) {
    if ((refs.get(v.name) ?? 0) > 0) continue;
    if (!all && !v.anonymous) continue;
    const labels = filters.get('label');
    if (labels && !labelsMatch(v.labels, labels)) continue;
    const notLabels = filters.get('label!');
    if (notLabels && notLabels.some((l) => labelsMatch(v.labels, [l]))) continue;
    const { size } = await volumeUsage(ctx, v, refs);
    try {
      await removeVolume(ctx, v.name);
    } catch (err) {
      ctx.log.warn('volume prune: remove failed', { name: v.name, error: (err as Error).message });
      continue;
    }
    report.VolumesDeleted.push(v.name);
    report.SpaceReclaimed += Math.max(size, 0);
  }
  if (report.VolumesDeleted.length > 0) ctx.events.publish('volume', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
  return report;
}
