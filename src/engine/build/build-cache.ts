import type { Db } from '../../store/database.js';

/** The build cache table (migration 7): (parent image, step key) → produced image. */
export function getCachedImageId(db: Db, parentId: string, key: string): string | undefined {
  const row = db.prepare('SELECT image_id FROM build_cache WHERE parent_id = ? AND cache_key = ?').get(parentId, key) as { image_id: string } | undefined;
  return row?.image_id;
}

export function putCachedImageId(db: Db, parentId: string, key: string, imageId: string): void {
  db.prepare('INSERT OR REPLACE INTO build_cache (parent_id, cache_key, image_id, created_at) VALUES (?, ?, ?, ?)').run(parentId, key, imageId, Date.now());
}

export function deleteCacheEntry(db: Db, parentId: string, key: string): void {
  db.prepare('DELETE FROM build_cache WHERE parent_id = ? AND cache_key = ?').run(parentId, key);
}
