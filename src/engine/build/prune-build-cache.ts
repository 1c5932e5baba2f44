import { containersUsingImage, getImage, listImages, listTags, tagsOfImage } from '../../store/image-queries.js';
import { invalidArgument } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { pruneMatcher } from '../containers/prune.js';
import { removeImage } from '../images/remove.js';
import { toImageRecord, type ImageRecord } from '../images/resolve.js';
import { layersSize } from '../system/df.js';
import { cacheEntryId, cacheRows } from './build-cache-usage.js';

export interface BuildCachePruneReport {
  readonly CachesDeleted: string[];
  readonly SpaceReclaimed: number;
}

export interface BuildCachePruneOptions {
  /** `all`: also forget steps whose image is part of a tagged image (Docker: "not just dangling ones"). */
  readonly all?: boolean;
  /**
   * `until` (and its old name `unused-for`), `label`, `label!` (on the step's
   * creation time and its image's labels), `id` (prefix), `type`, `description`.
   */
  readonly filters?: ReadonlyMap<string, readonly string[]>;
}

/**
 * POST /build/prune. Without `all` only dangling cache goes: cached steps
 * whose image no tagged image is built on. With `all` every cached step
 * matching the filters is forgotten. Then the step images nothing else needs
 * (untagged, no child image, no container, no remaining cache entry) are
 * removed, children before parents. SpaceReclaimed is what their layers took,
 * so `builder prune` and `system prune` report it as Docker reports
 * BuildKit's cache, and `system df` agrees before and after.
 */
export async function pruneBuildCache(ctx: EngineContext, opts: BuildCachePruneOptions = {}): Promise<BuildCachePruneReport> {
  const filters = new Map(opts.filters ?? []);
  const unusedFor = filters.get('unused-for');
  if (unusedFor) {
    filters.delete('unused-for');
    filters.set('until', [...(filters.get('until') ?? []), ...unusedFor]);
  }
  // Docker's wording for a key it does not know; id/type/description as BuildKit's records have them
  for (const k of filters.keys()) {
    if (!['until', 'label', 'label!', 'id', 'type', 'description'].includes(k)) throw invalidArgument(`failed to prune build cache: Invalid filter '${k}'`);
  }
  const ids = filters.get('id');
  const types = filters.get('type');
  const descriptions = filters.get('description');
  filters.delete('id');
  filters.delete('type');
  filters.delete('description');
  const match = pruneMatcher(filters, ['until', 'label', 'label!']);
  const rows = cacheRows(ctx.db);
  if (rows.length === 0) return { CachesDeleted: [], SpaceReclaimed: 0 };
  const images = new Map<string, ImageRecord>(listImages(ctx.db).map((row) => [row.id, toImageRecord(row)]));
  const taggedChains = new Set<string>();
  if (opts.all !== true) {
    for (const t of listTags(ctx.db)) {
      const image = images.get(t.image_id);
      if (image) for (const id of chainImageIds(images, image.id)) taggedChains.add(id);
    }
  }
  const doomed = rows.filter((r) => {
    const image = images.get(r.image_id);
    if (!image) return true; // a stale entry: its image went already
    if (taggedChains.has(r.image_id)) return false;
    if (ids && !ids.some((id) => cacheEntryId(r).startsWith(id))) return false;
    if (types && !types.includes('regular')) return false;
    const history = image.config.history ?? [];
    const description = history[history.length - 1]?.created_by ?? '';
    if (descriptions && !descriptions.some((d) => description.includes(d))) return false;
    return match(image.config.config?.Labels ?? {}, r.created_at);
  });
  if (doomed.length === 0) return { CachesDeleted: [], SpaceReclaimed: 0 };
  const before = layersSize(ctx);
  const del = ctx.db.prepare('DELETE FROM build_cache WHERE parent_id = ? AND cache_key = ?');
  ctx.db.transaction(() => {
    for (const r of doomed) del.run(r.parent_id, r.cache_key);
  })();
  const stillCached = new Set(cacheRows(ctx.db).map((r) => r.image_id));
  const candidates = new Set(doomed.map((r) => r.image_id).filter((id) => !stillCached.has(id)));
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
  return { CachesDeleted: doomed.map((r) => cacheEntryId(r)), SpaceReclaimed: Math.max(0, before - layersSize(ctx)) };
}

/** An image and its ancestors by the classic builder's `parent` links. */
function chainImageIds(images: ReadonlyMap<string, ImageRecord>, id: string): string[] {
  const out: string[] = [];
  for (let cur: string | undefined = id; cur !== undefined && cur !== '' && !out.includes(cur); cur = images.get(cur)?.config.parent) out.push(cur);
  return out;
}

