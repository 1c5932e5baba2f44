import type { Db } from './database.js';

export interface LayerRow {
  chain_id: string;
  diff_id: string;
  parent: string | null;
  size: number;
  created_at: number;
}

export interface ImageRow {
  id: string;
  config_json: string;
  top_layer: string | null;
  size: number;
  created_at: number;
  last_tag_time: string | null;
}

export function getLayer(db: Db, chainId: string): LayerRow | undefined {
  return db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as LayerRow | undefined;
}

/** Inserts a layer row unless one with the same chain id exists. */
export function insertLayer(db: Db, row: LayerRow): void {
  db.prepare(
    `INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, size, created_at) VALUES (@chain_id, @diff_id, @parent, @size, @created_at)`,
  ).run(row);
}

export function deleteLayer(db: Db, chainId: string): void {
  db.prepare('DELETE FROM layers WHERE chain_id = ?').run(chainId);
}

export function listLayers(db: Db): LayerRow[] {
  return db.prepare('SELECT * FROM layers').all() as LayerRow[];
}

export function countLayersWithDiffId(db: Db, diffId: string): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM layers WHERE diff_id = ?').get(diffId) as { n: number }).n;
}

export function getImage(db: Db, id: string): ImageRow | undefined {
  return db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
}

/** Inserts an image row unless it exists; returns true when inserted. */
export function insertImage(db: Db, row: Omit<ImageRow, 'last_tag_time'>): boolean {
  const r = db
    .prepare(`INSERT OR IGNORE INTO images (id, config_json, top_layer, size, created_at) VALUES (@id, @config_json, @top_layer, @size, @created_at)`)
    .run(row);
  return r.changes > 0;
}

export function deleteImage(db: Db, id: string): void {
  db.prepare('DELETE FROM images WHERE id = ?').run(id);
}

export function listImages(db: Db): ImageRow[] {
  return db.prepare('SELECT * FROM images ORDER BY created_at DESC, rowid DESC').all() as ImageRow[];
}

/** Ids of images whose id (`sha256:<hex>`) starts with `sha256:<hexPrefix>`. */
export function findImageIdsByPrefix(db: Db, hexPrefix: string): string[] {
  const rows = db.prepare('SELECT id FROM images WHERE id LIKE ?').all(`sha256:${hexPrefix.replace(/[^a-f0-9]/g, '')}%`) as { id: string }[];
  return rows.map((r) => r.id);
}

export function getTag(db: Db, reference: string): string | undefined {
  const row = db.prepare('SELECT image_id FROM image_tags WHERE reference = ?').get(reference) as { image_id: string } | undefined;
  return row?.image_id;
}

/** Points `reference` at `imageId`; returns the image it pointed at before, if another. */
export function setTag(db: Db, reference: string, imageId: string, taggedAt: string): string | undefined {
  return db.transaction(() => {
    const previous = getTag(db, reference);
    db.prepare('INSERT INTO image_tags (reference, image_id) VALUES (?, ?) ON CONFLICT(reference) DO UPDATE SET image_id = excluded.image_id').run(
      reference,
      imageId,
    );
    db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(taggedAt, imageId);
    return previous !== undefined && previous !== imageId ? previous : undefined;
  })();
}

export function deleteTag(db: Db, reference: string): boolean {
  return db.prepare('DELETE FROM image_tags WHERE reference = ?').run(reference).changes > 0;
}

export function tagsOfImage(db: Db, imageId: string): string[] {
  return (db.prepare('SELECT reference FROM image_tags WHERE image_id = ? ORDER BY reference').all(imageId) as { reference: string }[]).map(
    (r) => r.reference,
  );
}

export function digestsOfImage(db: Db, imageId: string): string[] {
  return (db.prepare('SELECT reference FROM image_digests WHERE image_id = ? ORDER BY reference').all(imageId) as { reference: string }[]).map(
    (r) => r.reference,
  );
}

export function getDigestRef(db: Db, reference: string): string | undefined {
  const row = db.prepare('SELECT image_id FROM image_digests WHERE reference = ?').get(reference) as { image_id: string } | undefined;
  return row?.image_id;
}

export function setDigestRef(db: Db, reference: string, imageId: string): void {
  db.prepare('INSERT INTO image_digests (reference, image_id) VALUES (?, ?) ON CONFLICT(reference) DO UPDATE SET image_id = excluded.image_id').run(
    reference,
    imageId,
  );
}

export function deleteDigestRef(db: Db, reference: string): boolean {
  return db.prepare('DELETE FROM image_digests WHERE reference = ?').run(reference).changes > 0;
}

/** All tag references, for listing and reference filters. */
export function listTags(db: Db): { reference: string; image_id: string }[] {
  return db.prepare('SELECT reference, image_id FROM image_tags').all() as { reference: string; image_id: string }[];
}

/** Containers using an image: id and whether its state says running. */
export function containersUsingImage(db: Db, imageId: string): { id: string; running: boolean }[] {
  const rows = db.prepare('SELECT id, state_json FROM containers WHERE image_id = ?').all(imageId) as { id: string; state_json: string }[];
  return rows.map((r) => {
    let running = false;
    try {
      running = (JSON.parse(r.state_json) as { Running?: unknown }).Running === true;
    } catch {
      running = false;
    }
    return { id: r.id, running };
  });
}

/** Number of containers per image id. */
export function containerCountsByImage(db: Db): Map<string, number> {
  const rows = db.prepare('SELECT image_id, COUNT(*) AS n FROM containers GROUP BY image_id').all() as { image_id: string; n: number }[];
  return new Map(rows.map((r) => [r.image_id, r.n]));
}
