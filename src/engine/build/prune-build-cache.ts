import { containersUsingImage, getImage, listImages, tagsOfImage } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { removeImage } from '../images/remove.js';
import { toImageRecord } from '../images/resolve.js';
import { layersSize } from '../system/df.js';
import { cacheEntryId, cacheRows } from './build-cache-usage.js';

export interface BuildCachePruneReport {
  readonly CachesDeleted: string[];
  readonly SpaceReclaimed: number;
}

/**
 * POST /build/prune: forgets every cached step, then removes the step images
 * nothing else needs (untagged, no child image, no container), children
 * before parents. SpaceReclaimed is what their layers took, so `builder
 * prune` and `system prune` report it as Docker reports BuildKit's cache.
 */
export async function pruneBuildCache(ctx: EngineContext): Promise<BuildCachePruneReport> {
  const rows = cacheRows(ctx.db);
  if (rows.length === 0) return { CachesDeleted: [], SpaceReclaimed: 0 };
  const before = layersSize(ctx);
  ctx.db.prepare('DELETE FROM build_cache').run();
  const candidates = new Set(rows.map((r) => r.image_id));
  for (let progress = true; progress; ) {
    progress = false;
    const parents = new Set(listImages(ctx.db).map((row) => toImageRecord(row).config.parent ?? ''));
    for (const id of candidates) {
      if (!getImage(ctx.db, id)) {
        candidates.delete(id);
        continue;
      }
      if (parents.has(id) || tagsOfImage(ctx.db, id).length > 0 || containersUsingImage(ctx.db, id).length > 0) continue;
      candidates.delete(id);
      try {
        await removeImage(ctx, id);
        progress = true;
      } catch (err) {
        ctx.log.warn('build cache prune: image remove failed', { id, error: (err as Error).message });
      }
    }
  }
  return { CachesDeleted: rows.map((r) => cacheEntryId(r)), SpaceReclaimed: Math.max(0, before - layersSize(ctx)) };
}
