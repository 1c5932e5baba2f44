import type { Readable } from 'node:stream';
import { invalidArgument } from '../../errors/engine-error.js';
import { applyConfigChanges } from '../../images/config-changes.js';
import { decompressStream } from '../../images/decompress.js';
import { type ImageConfig, hostArchitecture } from '../../images/image-config.js';
import { type ImageReference, familiarString } from '../../images/reference.js';
import { countLayersWithDiffId } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { storeImage } from './store-image.js';
import { applyTag, nowRfc3339Nano, tagReference } from './tag.js';

export interface ImportOptions {
  /** `repo` and `tag` query parameters; repo may carry the tag. */
  readonly repo?: string;
  readonly tag?: string;
  readonly message?: string;
  readonly changes?: readonly string[];
  /** `os[/arch[/variant]]` */
  readonly platform?: string;
  /** What the data came from, for the default comment ("-" for the request body). */
  readonly sourceName?: string;
}

/** `docker import`: a rootfs tarball (plain or compressed) becomes a one-layer image. Returns its id. */
export async function importImage(ctx: EngineContext, source: Readable, options: ImportOptions = {}): Promise<string> {
  let ref: ImageReference | undefined;
  try {
    ref = options.repo ? tagReference(options.repo, options.tag) : undefined;
  } catch (err) {
    source.destroy();
    throw err;
  }
  const [os = 'linux', arch = hostArchitecture(), variant] = (options.platform ?? '').split('/').map((s) => (s === '' ? undefined : s));
  if (os !== 'linux') {
    source.destroy();
    throw invalidArgument(`operating system is not supported: ${os}`);
  }
  const runConfig = applyConfigChanges({}, options.changes ?? []);
  const { stream } = await decompressStream(source);
  const blob = await ctx.content.ingest(stream);
  const diffId = blob.digest;
  const created = nowRfc3339Nano();
  const comment = options.message || `Imported from ${options.sourceName ?? '-'}`;
  const config: ImageConfig = {
    architecture: arch,
    ...(variant !== undefined ? { variant } : {}),
    os,
    created,
    comment,
    config: runConfig,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, comment }],
  };
  let id: string;
  try {
    ({ id } = await storeImage(ctx, Buffer.from(JSON.stringify(config)), [{ open: () => ctx.content.readStream(diffId) }]));
  } catch (err) {
    if (countLayersWithDiffId(ctx.db, diffId) === 0) await ctx.content.delete(diffId);
    throw err;
  }
  ctx.events.publish('image', 'import', id, { name: ref ? familiarString(ref) : id });
  if (ref) applyTag(ctx, id, ref);
  return id;
}
