import type { Readable } from 'node:stream';
import { internal, notFound } from '../../errors/engine-error.js';
import { type SaveImage, writeImageArchive } from '../../images/image-archive-write.js';
import { type ImageReference, formatReference, parseReference, repositoryName, withDefaultTag } from '../../images/reference.js';
import { getTag, listTags } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { resolveImage, type ImageRecord } from './resolve.js';

/**
 * `docker save`: resolves every name first (so a missing image fails before
 * any byte is sent), then returns the archive stream. A repository name
 * without tag saves all its tags, an id saves the image untagged (as Docker).
 */
export async function saveImages(ctx: EngineContext, names: readonly string[]): Promise<Readable> {
  const byId = new Map<string, { image: ImageRecord; tags: ImageReference[] }>();
  const add = (image: ImageRecord, ref?: ImageReference): void => {
    let entry = byId.get(image.id);
    if (!entry) {
      entry = { image, tags: [] };
      byId.set(image.id, entry);
    }
    if (ref && !entry.tags.some((t) => formatReference(t) === formatReference(ref))) entry.tags.push(ref);
  };
  for (const name of names) {
    let ref: ImageReference | undefined;
    try {
      ref = parseReference(name);
    } catch {
      ref = undefined;
    }
    if (ref && ref.tag === undefined && ref.digest === undefined) {
      const repo = repositoryName(ref);
      const tagged = listTags(ctx.db).filter((t) => t.reference.startsWith(`${repo}:`));
      if (tagged.length > 0) {
        for (const t of tagged) add(resolveImage(ctx, t.image_id), parseReference(t.reference));
        continue;
      }
    }
    const image = resolveImage(ctx, name);
    if (ref && ref.digest === undefined && getTag(ctx.db, formatReference(withDefaultTag(ref))) === image.id) add(image, withDefaultTag(ref));
    else add(image);
  }
  const images: SaveImage[] = [];
  for (const { image, tags } of byId.values()) {
    const layers = [];
    for (const diffId of image.config.rootfs.diff_ids) {
      const info = await ctx.content.info(diffId);
      if (!info) throw internal(`layer tar ${diffId} of image ${image.id} is missing from the content store`);
      layers.push({ diffId, size: info.size, open: () => ctx.content.readStream(diffId) });
    }
    images.push({ id: image.id, configBytes: Buffer.from(image.configJson, 'utf8'), layers, tags });
    ctx.events.publish('image', 'save', image.id, { name: image.id });
  }
  if (images.length === 0) throw notFound('No such image: (none given)');
  return writeImageArchive(images);
}
