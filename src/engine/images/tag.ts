import { invalidArgument } from '../../errors/engine-error.js';
import { type ImageReference, familiarString, formatReference, parseReference, withDefaultTag, withTag } from '../../images/reference.js';
import { setTag } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { resolveImage } from './resolve.js';

export interface TagOptions {
  readonly repo: string;
  readonly tag?: string;
}

/** RFC3339Nano of now, as Docker's timestamps. */
export function nowRfc3339Nano(): string {
  // Go's RFC3339Nano drops trailing zeros of the fraction.
  return new Date().toISOString().replace(/\.?0*Z$/, 'Z');
}

/**
 * Points `ref` at `imageId` and publishes the `tag` event. Returns the id of
 * the image the tag was taken from, if any.
 */
export function applyTag(ctx: EngineContext, imageId: string, ref: ImageReference): string | undefined {
  const previous = setTag(ctx.db, formatReference(ref), imageId, nowRfc3339Nano());
  ctx.events.publish('image', 'tag', imageId, { name: familiarString(ref) });
  return previous;
}

/** The reference POST /images/{name}/tag?repo=&tag= asks for (Docker: repo may carry the tag itself). */
export function tagReference(repo: string, tag?: string): ImageReference {
  if (repo === '') throw invalidArgument('repository name must have at least one component');
  const ref = parseReference(repo);
  if (ref.digest !== undefined) throw invalidArgument('refusing to create a tag with a digest reference');
  if (tag !== undefined && tag !== '') return withTag(ref, tag);
  return withDefaultTag(ref);
}

/** POST /images/{name}/tag */
export function tagImage(ctx: EngineContext, source: string, options: TagOptions): void {
  const image = resolveImage(ctx, source);
  applyTag(ctx, image.id, tagReference(options.repo, options.tag));
}
