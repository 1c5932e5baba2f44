import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { EngineError, notFound } from '../../errors/engine-error.js';
import { type ImageReference, formatReference, parseReference, repositoryName, withTag } from '../../images/reference.js';
import { MEDIA_TYPES } from '../../registry/client/manifest-types.js';
import { type ProgressSink, layerProgress, layerStatus, shortId } from '../../registry/client/progress-message.js';
import { RegistryClient, type RegistryCredentials } from '../../registry/client/registry-client.js';
import { endpointFor } from '../../registry/client/registry-endpoint.js';
import { RegistryError } from '../../registry/client/registry-error.js';
import { RepositoryClient } from '../../registry/client/repository-client.js';
import { getTag, listTags, setDigestRef } from '../../store/image-queries.js';
import { layerDistributions, recordLayerDistribution } from '../../store/layer-distribution-queries.js';
import { type EngineContext, enginePaths } from '../engine-context.js';
import { findImage } from './resolve.js';

export interface PushOptions {
  /** Push this tag only; without it every tag of the repository. */
  readonly tag?: string;
  readonly credentials?: RegistryCredentials;
  readonly progress: ProgressSink;
  readonly signal?: AbortSignal;
}

interface PushedLayer {
  digest: string;
  size: number;
  mediaType: string;
}

/**
 * Layer upload chunk size in bytes from berthd's environment
 * (BERTH_UPLOAD_CHUNK_SIZE); 0 or unset uploads each layer in one PUT, as
 * Docker does.
 */
function uploadChunkSize(): number {
  const n = Number(process.env.BERTH_UPLOAD_CHUNK_SIZE ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * Pushes the tags of a repository (or one tag): each layer is skipped when
 * the registry has it (HEAD), mounted from another repository of the same
 * registry when we know one holds it, or gzipped and uploaded; then the
 * config and a Docker v2 schema 2 manifest.
 */
export async function pushImage(ctx: EngineContext, name: string, options: PushOptions): Promise<void> {
  const base = parseReference(name);
  const repoName = repositoryName(base);
  options.progress({ status: `The push refers to repository [${repoName}]` });
  const tags = options.tag ? [options.tag] : base.tag ? [base.tag] : listTags(ctx.db).map((t) => parseReference(t.reference)).filter((r) => repositoryName(r) === repoName && r.tag).map((r) => r.tag as string).sort();
  if (tags.length === 0) throw notFound(`An image does not exist locally with the tag: ${repoName}`);
  const endpoint = endpointFor(base.domain, { insecureRegistries: ctx.settings.insecureRegistries ?? [] });
  const repo = new RepositoryClient(new RegistryClient(endpoint, options.credentials ?? {}), base.path);
  const tmpDir = join(enginePaths.tmp(ctx.settings), `push-${randomBytes(6).toString('hex')}`);
  await mkdir(tmpDir, { recursive: true });
  try {
    for (const tag of tags) {
      const ref = withTag(base, tag);
      await pushTag(ctx, ref, repo, endpoint.host, tmpDir, options).catch((err: unknown) => {
        throw err instanceof RegistryError ? new EngineError(err.code === 'UNAUTHORIZED' || err.code === 'DENIED' ? 'forbidden' : 'internal', err.message) : err;
      });
    }
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function pushTag(ctx: EngineContext, ref: ImageReference, repo: RepositoryClient, registry: string, tmpDir: string, options: PushOptions): Promise<void> {
  const imageId = getTag(ctx.db, formatReference(ref));
  const image = imageId ? findImage(ctx, imageId) : undefined;
  if (!image) throw notFound(`An image does not exist locally with the tag: ${repositoryName(ref)}`);
  const diffIds = image.config.rootfs.diff_ids;
  // Docker lists the top layer first
  const order = diffIds.map((_, i) => diffIds.length - 1 - i);
  for (const i of order) options.progress(layerStatus('Preparing', shortId(diffIds[i] as string)));
  const limit = ctx.settings.maxConcurrentUploads ?? 5;
  const results: PushedLayer[] = new Array<PushedLayer>(diffIds.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const i = order[next++] as number;
      results[i] = await pushLayer(ctx, repo, registry, diffIds[i] as string, tmpDir, options);
    }
  };
  for (const i of order.slice(limit)) options.progress(layerStatus('Waiting', shortId(diffIds[i] as string)));
  await Promise.all(Array.from({ length: Math.min(limit, order.length) }, worker));

  const configBytes = Buffer.from(image.configJson, 'utf8');
  if (!(await repo.hasBlob(image.id, options.signal))) {
    const path = join(tmpDir, 'config');
    await writeFile(path, configBytes);
    await repo.uploadBlob(path, image.id, options.signal ? { signal: options.signal } : {});
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: MEDIA_TYPES.dockerConfig, size: configBytes.length, digest: image.id },
    layers: results.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3), 'utf8');
  const digest = await repo.putManifest(ref.tag ?? 'latest', MEDIA_TYPES.dockerManifest, bytes, options.signal);
  setDigestRef(ctx.db, `${repositoryName(ref)}@${digest}`, image.id);
  ctx.events.publish('image', 'push', `${repositoryName(ref)}:${ref.tag ?? 'latest'}`, { name: `${repositoryName(ref)}:${ref.tag ?? 'latest'}` });
  options.progress({ status: `${ref.tag ?? 'latest'}: digest: ${digest} size: ${bytes.length}` });
  options.progress({ progressDetail: {}, aux: { Tag: ref.tag ?? 'latest', Digest: digest, Size: bytes.length } });
}

async function pushLayer(ctx: EngineContext, repo: RepositoryClient, registry: string, diffId: string, tmpDir: string, options: PushOptions): Promise<PushedLayer> {
  const id = shortId(diffId);
  const signal = options.signal;
  for (const known of layerDistributions(ctx.db, diffId, registry, repo.name)) {
    const layer = { digest: known.digest, size: known.size, mediaType: known.media_type };
    if (await repo.hasBlob(known.digest, signal)) {
      options.progress(layerStatus('Layer already exists', id));
      return layer;
    }
    if (known.repository !== repo.name && (await repo.mountBlob(known.digest, known.repository, signal))) {
      options.progress(layerStatus(`Mounted from ${known.repository}`, id));
      recordLayerDistribution(ctx.db, { ...known, repository: repo.name });
      return layer;
    }
  }
  // compressed, hashed and uploaded in one pass (POST, PATCH with the stream, PUT ?digest=), as Docker does;
  // gzip with fixed settings gives the same blob every time, so the registry deduplicates a repeated push
  const total = (await ctx.content.info(diffId))?.size ?? 0;
  const source = ctx.content.readStream(diffId);
  // Docker's default level; memLevel 9 is ~10% faster than zlib's default 8 at the same level, and
  // 1 MiB output chunks keep the thread-pool round trips through the (busy) main thread few
  const gzip = createGzip({ level: 6, memLevel: 9, chunkSize: 1 << 20 });
  let read = 0;
  let last = 0;
  source.on('data', (chunk: Buffer) => {
    read += chunk.length;
    const now = Date.now();
    if (now - last > 100) {
      last = now;
      options.progress(layerProgress('Pushing', id, read, total));
    }
  });
  const pieces = coalesce(1 << 20);
  source.on('error', (err) => gzip.destroy(err));
  pieces.on('error', (err) => gzip.destroy(err));
  source.pipe(pieces).pipe(gzip);
  const hash = createHash('sha256');
  let size = 0;
  let sourceError: unknown;
  const compressed = (async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of gzip as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    } catch (err) {
      sourceError = err;
      throw err;
    } finally {
      source.destroy();
      pieces.destroy();
      gzip.destroy();
    }
  })();
  let digest = '';
  const finish = (): string => (digest = `sha256:${hash.digest('hex')}`);
  const chunkSize = uploadChunkSize();
  if (chunkSize > 0) {
    // chunked uploads need a file to cut into Content-Range pieces
    const path = join(tmpDir, `layer-${diffId.slice(7, 19)}-${randomBytes(3).toString('hex')}`);
    try {
      await pipeline(compressed, createWriteStream(path), signal ? { signal } : {});
      finish();
      if (!(await repo.hasBlob(digest, signal))) {
        await repo.uploadBlob(path, digest, { ...(signal ? { signal } : {}), chunkSize, onProgress: (current) => options.progress(layerProgress('Pushing', id, current, size)) });
      }
    } finally {
      await rm(path, { force: true });
    }
  } else {
    // a failure reading the layer reaches fetch as a broken body; report the cause
    await repo.uploadStream(compressed, finish, signal ? { signal } : {}).catch((err: unknown) => {
      throw sourceError ?? err;
    });
  }
  options.progress(layerProgress('Pushing', id, total, total));
  options.progress(layerStatus('Pushed', id));
  const layer = { digest, size, mediaType: MEDIA_TYPES.dockerLayerGzip };
  recordLayerDistribution(ctx.db, { diff_id: diffId, digest, size, media_type: layer.mediaType, registry, repository: repo.name });
  return layer;
}

/** Joins a stream's chunks into pieces of at least `bytes` (zlib works per write, so big ones are cheaper). */
function coalesce(bytes: number): Transform {
  let parts: Buffer[] = [];
  let size = 0;
  return new Transform({
    readableHighWaterMark: bytes,
    transform(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      size += chunk.length;
      if (size < bytes) return cb();
      const piece = parts.length === 1 ? chunk : Buffer.concat(parts, size);
      parts = [];
      size = 0;
      cb(null, piece);
    },
    flush(cb) {
      cb(null, size > 0 ? Buffer.concat(parts, size) : undefined);
    },
  });
}
