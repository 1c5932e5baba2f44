import type { Db } from './database.js';

/** Where a layer is known to exist as a blob in a registry (for HEAD skips and cross-repository mounts). */
export interface LayerDistributionRow {
  diff_id: string;
  digest: string;
  size: number;
  media_type: string;
  registry: string;
  repository: string;
}

export function recordLayerDistribution(db: Db, row: LayerDistributionRow): void {
  db.prepare(
    'INSERT OR IGNORE INTO layer_distribution (diff_id, digest, size, media_type, registry, repository) VALUES (@diff_id, @digest, @size, @media_type, @registry, @repository)',
  ).run(row);
}

/** Known blobs of a layer in one registry, those of `repository` first. */
export function layerDistributions(db: Db, diffId: string, registry: string, repository: string): LayerDistributionRow[] {
  return db
    .prepare('SELECT * FROM layer_distribution WHERE diff_id = ? AND registry = ? ORDER BY repository = ? DESC, rowid DESC')
    .all(diffId, registry, repository) as LayerDistributionRow[];
}
