import { invalidArgument } from '../../errors/engine-error.js';
import { listVolumeRows } from '../../store/volume-queries.js';
import type { EngineContext } from '../engine-context.js';
import { volumeFromRow, type VolumeRecord } from './volume-model.js';
import { volumeRefCounts } from './volume-usage.js';

const known = new Set(['dangling', 'name', 'label', 'driver', 'label!']);

/** `label=k` / `label=k=v` matching, as Docker's filters.MatchKVList. */
export function labelsMatch(labels: Readonly<Record<string, string>>, wanted: readonly string[]): boolean {
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, w);
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}

/** GET /volumes with Docker's filters. */
export function listVolumes(ctx: EngineContext, filters: ReadonlyMap<string, readonly string[]>): VolumeRecord[] {
  for (const k of filters.keys()) if (!known.has(k)) throw invalidArgument(`Invalid filter '${k}'`);
  const dangling = filters.get('dangling');
  let wantDangling: boolean | undefined;
  for (const d of dangling ?? []) {
    if (['true', '1'].includes(d.toLowerCase())) wantDangling = true;
    else if (['false', '0'].includes(d.toLowerCase())) wantDangling = false;
    else throw invalidArgument(`Invalid filter 'dangling=[${d}]'`);
  }
  const refs = wantDangling === undefined ? undefined : volumeRefCounts(ctx);
  return listVolumeRows(ctx.db)
    .map((r) => volumeFromRow(ctx, r))
    .filter((v) => {
      const names = filters.get('name');
      if (names && !names.some((n) => v.name.includes(n))) return false;
      const drivers = filters.get('driver');
      if (drivers && !drivers.some((d) => v.driver === d)) return false;
      const labels = filters.get('label');
      if (labels && !labelsMatch(v.labels, labels)) return false;
      const notLabels = filters.get('label!');
      if (notLabels && notLabels.some((l) => labelsMatch(v.labels, [l]))) return false;
      if (wantDangling !== undefined && refs && ((refs.get(v.name) ?? 0) === 0) !== wantDangling) return false;
      return true;
    });
}
