import { chainIds } from '../../images/chain-id.js';
import { familiarString, parseReference } from '../../images/reference.js';
import { getLayer, tagsOfImage } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { resolveImage } from './resolve.js';

/** One entry of GET /images/{name}/history (Docker's HistoryResponseItem). */
export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

/** Newest first; only the top entry carries the image id and tags, the rest are `<missing>` as Docker shows. */
export function imageHistory(ctx: EngineContext, nameOrId: string): ImageHistoryItem[] {
  const image = resolveImage(ctx, nameOrId);
  const diffIds = image.config.rootfs.diff_ids;
  const chain = chainIds(diffIds);
  const out: ImageHistoryItem[] = [];
  let layer = 0;
  for (const h of image.config.history ?? []) {
    let size = 0;
    if (!h.empty_layer) {
      const chainId = chain[layer];
      size = chainId !== undefined ? getLayer(ctx.db, chainId)?.size ?? 0 : 0;
      layer++;
    }
    const created = h.created ? Date.parse(h.created) : NaN;
    out.unshift({
      Id: '<missing>',
      Created: Number.isFinite(created) ? Math.floor(created / 1000) : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  if (out.length === 0) {
    // An image without history still shows one line for itself.
    const created = image.config.created ? Date.parse(image.config.created) : image.createdAt;
    out.push({ Id: image.id, Created: Math.floor(created / 1000), CreatedBy: '', Tags: null, Size: image.size, Comment: '' });
  }
  const first = out[0] as ImageHistoryItem;
  first.Id = image.id;
  const tags = tagsOfImage(ctx.db, image.id).map((r) => familiarString(parseReference(r)));
  first.Tags = tags.length > 0 ? tags : null;
  return out;
}
