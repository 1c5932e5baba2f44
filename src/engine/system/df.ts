import { listLayers, containerCountsByImage } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { allContainers } from '../containers/container-repo.js';
import type { ContainerRecord } from '../containers/container-model.js';
import { containerSize, type ContainerSize } from '../containers/size.js';
import { listImageSummaries, type ImageSummary } from '../images/list.js';
import { findImage, imageChainIds } from '../images/resolve.js';
import { volumeUsage, type VolumeUsage } from '../volumes/inspect.js';
import { listVolumes } from '../volumes/list.js';
import type { VolumeRecord } from '../volumes/volume-model.js';
import { volumeRefCounts } from '../volumes/volume-usage.js';
import { buildCacheUsage, type BuildCacheRecord } from '../build/build-cache-usage.js';

export type DfType = 'container' | 'image' | 'volume' | 'build-cache';

export interface DiskUsage {
  layersSize?: number;
  images?: ImageSummary[];
  containers?: { container: ContainerRecord; size: ContainerSize }[];
  volumes?: { volume: VolumeRecord; usage: VolumeUsage }[];
  buildCache?: BuildCacheRecord[];
}

/** Bytes of every unpacked layer, each counted once. */
export function layersSize(ctx: EngineContext): number {
  return listLayers(ctx.db).reduce((n, l) => n + l.size, 0);
}

/**
 * GET /system/df: images with their shared size (layers also used by
 * another image) and container counts, containers with their own layer's
 * size, volumes with size and reference count. `types` limits the work.
 */
export async function diskUsage(ctx: EngineContext, types?: ReadonlySet<DfType>): Promise<DiskUsage> {
  const want = (t: DfType): boolean => !types || types.size === 0 || types.has(t);
  const out: DiskUsage = {};
  if (want('image')) {
    const layerSize = new Map(listLayers(ctx.db).map((l) => [l.chain_id, l.size]));
    const users = new Map<string, number>();
    const chains = new Map<string, string[]>();
    for (const s of listImageSummaries(ctx)) {
      const image = findImage(ctx, s.Id);
      const ids = image ? imageChainIds(ctx, image) : [];
      chains.set(s.Id, ids);
      for (const id of ids) users.set(id, (users.get(id) ?? 0) + 1);
    }
    const counts = containerCountsByImage(ctx.db);
    out.layersSize = [...layerSize.values()].reduce((a, b) => a + b, 0);
    out.images = listImageSummaries(ctx).map((s) => ({
      ...s,
      SharedSize: (chains.get(s.Id) ?? []).filter((id) => (users.get(id) ?? 0) > 1).reduce((n, id) => n + (layerSize.get(id) ?? 0), 0),
      Containers: counts.get(s.Id) ?? 0,
    }));
  }
  if (want('container')) {
    out.containers = [];
    for (const c of allContainers(ctx.db)) out.containers.push({ container: c, size: await containerSize(ctx, c) });
  }
  if (want('volume')) {
    const refs = volumeRefCounts(ctx);
    out.volumes = [];
    for (const v of listVolumes(ctx, new Map())) out.volumes.push({ volume: v, usage: await volumeUsage(ctx, v, refs) });
  }
  if (want('build-cache')) out.buildCache = buildCacheUsage(ctx);
  return out;
}
