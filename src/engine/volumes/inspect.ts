import { notFound } from '../../errors/engine-error.js';
import { diskUsage } from '../../snapshots/overlay.js';
import { getVolumeRow } from '../../store/volume-queries.js';
import type { EngineContext } from '../engine-context.js';
import { volumeFromRow, type VolumeRecord } from './volume-model.js';
import { volumeRefCounts } from './volume-usage.js';

export interface VolumeUsage {
  readonly size: number;
  readonly refCount: number;
}

/** GET /volumes/{name}; 404 `get x: no such volume`. */
export function requireVolume(ctx: EngineContext, name: string): VolumeRecord {
  const row = getVolumeRow(ctx.db, name);
  if (!row) throw notFound(`get ${name}: no such volume`);
  return volumeFromRow(ctx, row);
}

/** Bytes under the volume's data dir and the containers referencing it (system df -v). */
export async function volumeUsage(ctx: EngineContext, v: VolumeRecord, refs?: Map<string, number>): Promise<VolumeUsage> {
  const size = await diskUsage(v.mountpoint).catch(() => -1);
  return { size, refCount: (refs ?? volumeRefCounts(ctx)).get(v.name) ?? 0 };
}
