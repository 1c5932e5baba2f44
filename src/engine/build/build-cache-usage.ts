import { getLayer, listImages, listTags } from '../../store/image-queries.js';
import type { Db } from '../../store/database.js';
import type { EngineContext } from '../engine-context.js';
import { imageChainIds, toImageRecord, type ImageRecord } from '../images/resolve.js';

/** One cached build step in Docker's BuildCache (system df) shape. */
export interface BuildCacheRecord {
  ID: string;
  Parents: string[] | null;
  Type: 'regular';
  Description: string;
  InUse: boolean;
  /** Its layer is also part of a tagged image (counted under Images, not again here). */
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

interface CacheRow {
  parent_id: string;
  cache_key: string;
  image_id: string;
  created_at: number;
}

/** Stable short id of a cache entry, the length of BuildKit's record ids. */
export const cacheEntryId = (r: { cache_key: string }): string => r.cache_key.replace(/^sha256:/, '').slice(0, 25);

export function cacheRows(db: Db): CacheRow[] {
  return db.prepare('SELECT parent_id, cache_key, image_id, created_at FROM build_cache ORDER BY created_at').all() as CacheRow[];
}

/**
 * The classic builder's cache as `system df` reports it: one record per
 * cached step whose image still exists. Size is the layer that step added
 * (0 for metadata-only steps); a layer that a tagged image also holds is
 * Shared, so the docker CLI leaves it out of the cache's size and reclaimable
 * figures (it is counted under Images).
 */
export function buildCacheUsage(ctx: EngineContext): BuildCacheRecord[] {
  const images = new Map<string, ImageRecord>(listImages(ctx.db).map((row) => [row.id, toImageRecord(row)]));
  const taggedChains = new Set<string>();
  const tagged = new Set(listTags(ctx.db).map((t) => t.image_id));
  for (const id of tagged) {
    const image = images.get(id);
    if (image) for (const c of imageChainIds(ctx, image)) taggedChains.add(c);
  }
  const out: BuildCacheRecord[] = [];
  for (const row of cacheRows(ctx.db)) {
    const image = images.get(row.image_id);
    if (!image) continue;
    const parent = images.get(row.parent_id);
    const own = imageChainIds(ctx, image);
    const below = parent ? imageChainIds(ctx, parent).length : 0;
    const top = own.length > below ? own[own.length - 1] : undefined;
    const history = image.config.history ?? [];
    const created = new Date(row.created_at).toISOString();
    out.push({
      ID: cacheEntryId(row),
      Parents: null,
      Type: 'regular',
      Description: history[history.length - 1]?.created_by ?? '',
      InUse: false,
      Shared: top !== undefined && taggedChains.has(top),
      Size: top !== undefined ? (getLayer(ctx.db, top)?.size ?? 0) : 0,
      CreatedAt: created,
      LastUsedAt: created,
      UsageCount: 1,
    });
  }
  return out;
}
