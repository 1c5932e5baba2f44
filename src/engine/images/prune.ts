import { getImage, listImages, tagsOfImage, containerCountsByImage } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { pruneMatcher } from '../containers/prune.js';
import { layersSize } from '../system/df.js';
import { imageCreatedSeconds } from './list.js';
import { removeOrphanLayers } from './orphan-layers.js';
import { hasChildImages, removeImage, type ImageDeleteItem } from './remove.js';
import { toImageRecord } from './resolve.js';

export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[];
  SpaceReclaimed: number;
}

/**
 * POST /images/prune: dangling (untagged) images not used by any container,
 * or with `dangling=false` every unused image; `until` and `label` filters.
 * Reclaimed space is what the removed layers took.
 */
export async function pruneImages(ctx: EngineContext, filters: ReadonlyMap<string, readonly string[]>): Promise<ImagePruneReport> {
  const rest = new Map([...filters].filter(([k]) => k !== 'dangling'));
  const match = pruneMatcher(rest, ['label', 'label!', 'until']);
  const danglingOnly = !(filters.get('dangling') ?? []).some((v) => ['false', '0'].includes(v.toLowerCase()));
  const before = layersSize(ctx);
  const report: ImagePruneReport = { ImagesDeleted: [], SpaceReclaimed: 0 };
  const used = containerCountsByImage(ctx.db);
  // Passes until nothing more goes: removing a child can free its (tagged, with -a) parent for the next pass.
  const failed = new Set<string>();
  for (let progress = true; progress; ) {
    progress = false;
    for (const row of listImages(ctx.db)) {
      const image = toImageRecord(row);
      // A parent removed with its child is gone; an image with children waits for them.
      if (failed.has(image.id) || !getImage(ctx.db, image.id) || hasChildImages(ctx, image.id)) continue;
      if ((used.get(image.id) ?? 0) > 0) continue;
      if (danglingOnly && tagsOfImage(ctx.db, image.id).length > 0) continue;
      if (!match(image.config.config?.Labels ?? {}, imageCreatedSeconds(image) * 1000)) continue;
      try {
        report.ImagesDeleted.push(...(await removeImage(ctx, image.id, { force: true })));
        progress = true;
      } catch (err) {
        failed.add(image.id);
        ctx.log.warn('image prune: remove failed', { id: image.id, error: (err as Error).message });
      }
    }
  }
  report.SpaceReclaimed = Math.max(0, before - layersSize(ctx));
  // Docker neither lists nor counts layers no image references; they go all the same.
  await removeOrphanLayers(ctx).catch((err: unknown) => ctx.log.warn('image prune: removing unreferenced layers failed', { error: (err as Error).message }));
  if (report.ImagesDeleted.length > 0) ctx.events.publish('image', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
  return report;
}
