import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { readArchiveImages, spoolArchive } from '../../images/image-archive-read.js';
import { familiarString, parseReference, withDefaultTag } from '../../images/reference.js';
import { enginePaths, type EngineContext } from '../engine-context.js';
import { storeImage } from './store-image.js';
import { applyTag } from './tag.js';

export interface LoadOptions {
  readonly signal?: AbortSignal;
}

export interface LoadResult {
  /** The lines `docker load` prints ("Loaded image: busybox:latest"), without newlines. */
  readonly messages: string[];
  readonly imageIds: string[];
}

/**
 * Loads a `docker save` or OCI layout tarball (optionally gzip'd). The body
 * is spooled to a temp dir under the data root first, removed in all cases.
 */
export async function loadImages(ctx: EngineContext, source: Readable, options: LoadOptions = {}): Promise<LoadResult> {
  const tmpRoot = enginePaths.tmp(ctx.settings);
  await mkdir(tmpRoot, { recursive: true });
  const dir = await mkdtemp(join(tmpRoot, 'load-'));
  const messages: string[] = [];
  const imageIds: string[] = [];
  try {
    const files = await spoolArchive(source, dir, options);
    const images = await readArchiveImages(files);
    // Parse every name before storing anything: a bad name must not leave half an archive loaded.
    const named = images.map((img) => ({ img, refs: img.repoTags.map((t) => withDefaultTag(parseReference(t))) }));
    for (const { img, refs } of named) {
      options.signal?.throwIfAborted();
      const configBytes = await readFile(img.configPath);
      const { id } = await storeImage(
        ctx,
        configBytes,
        img.layerPaths.map((p) => ({ open: () => createReadStream(p) })),
      );
      imageIds.push(id);
      for (const ref of refs) {
        const previous = applyTag(ctx, id, ref);
        if (previous !== undefined) {
          messages.push(`The image ${familiarString(ref)} already exists, renaming the old one with ID ${previous} to empty string`);
        }
        messages.push(`Loaded image: ${familiarString(ref)}`);
      }
      if (refs.length === 0) messages.push(`Loaded image ID: ${id}`);
      ctx.events.publish('image', 'load', id, { name: refs[0] ? familiarString(refs[0]) : id });
    }
    return { messages, imageIds };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
