import type { EngineContext } from '../engine-context.js';
import { clearBuildCache } from './build-cache.js';

export interface BuildCachePruneReport {
  readonly CachesDeleted: string[];
  readonly SpaceReclaimed: number;
}

/**
 * POST /build/prune: drops the classic builder's step cache. The intermediate
 * images it pointed at are ordinary (dangling) images and go with `image prune`,
 * so no space is reclaimed here.
 */
export function pruneBuildCache(ctx: EngineContext): BuildCachePruneReport {
  return { CachesDeleted: clearBuildCache(ctx.db), SpaceReclaimed: 0 };
}
