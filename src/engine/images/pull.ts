import * as zlib from 'node:zlib';
import { type Readable } from 'node:stream';
import { EngineError, invalidArgument, notFound } from '../../errors/engine-error.js';
import { sha256Digest } from '../../lib/digest.js';
import { parseImageConfig } from '../../images/image-config.js';
import { type ImageReference, familiarName, familiarString, formatReference, parseReference, repositoryName, withDefaultTag, withTag } from '../../images/reference.js';
import { type Descriptor, type ImageManifest, formatPlatform, isIndex, parsePlatform, selectPlatform } from '../../registry/client/manifest-types.js';
import { type ProgressSink, layerStatus, shortId } from '../../registry/client/progress-message.js';
import { RegistryClient, type RegistryCredentials } from '../../registry/client/registry-client.js';
import { endpointFor, type RegistryEndpoint } from '../../registry/client/registry-endpoint.js';
import { RegistryError } from '../../registry/client/registry-error.js';
import { RepositoryClient, type FetchedManifest } from '../../registry/client/repository-client.js';
import { getImage, getTag, setDigestRef } from '../../store/image-queries.js';
import { recordLayerDistribution } from '../../store/layer-distribution-queries.js';
import type { EngineContext } from '../engine-context.js';
import { holdLayers, layerCandidates, releaseAfterGrace, type LayerCandidate, type LayerHold } from './orphan-layers.js';
import { streamLayers } from './pull-layers.js';
import { storeImage, type LayerSource } from './store-image.js';
import { applyTag } from './tag.js';

export interface PullOptions {
  /** The `tag` query parameter: a tag or a digest. */
  readonly tag?: string;
  /** `os/arch[/variant]`; default linux/amd64. */
  readonly platform?: string;
  readonly credentials?: RegistryCredentials;
  /** Receives Docker's progress messages; the first call marks the start of the stream. */
  readonly progress: ProgressSink;
  readonly signal?: AbortSignal;
  /** Leave out the closing `Status:` line (pullAllTags writes one for all). */
  readonly noStatus?: boolean;
}

const ZSTD_TYPES = new Set(['application/vnd.oci.image.layer.v1.tar+zstd', 'application/vnd.docker.image.rootfs.diff.tar.zstd']);

/** The reference POST /images/create?fromImage=&tag= names (tag may be a digest). */
export function pullReference(fromImage: string, tag?: string): ImageReference {
  const ref = parseReference(fromImage);
  if (tag === undefined || tag === '') return withDefaultTag(ref);
  if (/^sha256:/.test(tag)) {
    if (!/^sha256:[a-f0-9]{64}$/.test(tag)) throw invalidArgument('invalid reference format');
    return { domain: ref.domain, path: ref.path, tag: undefined, digest: tag };
  }
  return withTag(ref, tag);
}

/**
 * Pulls an image: resolves the manifest (choosing a platform from an index),
 * downloads the config and streams the missing layers into the content
 * store and their snapshot directories (concurrently, see streamLayers),
 * registers the image through storeImage, then tags it and records its repo
 * digest. Failures
 * before the first progress message are thrown as they are, so the daemon
 * can answer them with a status; later ones too, after the stream started.
 */
export async function pullImage(ctx: EngineContext, fromImage: string, options: PullOptions): Promise<{ id: string; reference: ImageReference; upToDate: boolean }> {
  const ref = pullReference(fromImage, options.tag);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const { repo, manifest: top } = await resolveManifest(ctx, ref, reference, options);
  options.progress({ status: `Pulling from ${ref.path}`, id: reference });

  let manifest = top;
  const body = parseJson(top.bytes, 'manifest');
  if (isIndex(top.mediaType, body)) {
    const want = parsePlatform(options.platform);
    const entry = selectPlatform(body, want);
    if (!entry) throw notFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`);
    manifest = await repo.getManifest(entry.digest, options.signal).catch((err: unknown) => {
      throw translate(err, ref);
    });
  }
  const image = parseJson(manifest.bytes, 'manifest') as ImageManifest;
  if (!image.config?.digest || !Array.isArray(image.layers)) throw invalidArgument(`unsupported manifest format: ${manifest.mediaType || 'unknown media type'}`);
  for (const l of image.layers) {
    if (ZSTD_TYPES.has(l.mediaType) && typeof (zlib as unknown as Record<string, unknown>).createZstdDecompress !== 'function') {
      throw invalidArgument(`layer ${l.digest} is zstd-compressed (${l.mediaType}); this Node.js ${process.version} cannot decompress zstd`);
    }
  }

  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // held until the image is stored; a failed pull's verified layers stay for a retry, then go (orphan-layers.ts)
  let hold: LayerHold | undefined;
  let candidates: LayerCandidate[] = [];
  const committed: number[] = [];
  let storedImage = false;
  try {
    const configBytes = await repo.fetchBlob(image.config.digest, image.config.size, abort.signal).catch((err: unknown) => {
      throw err instanceof RegistryError ? new EngineError('invalid_argument', err.message) : err;
    });
    const config = parseImageConfig(configBytes);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== image.layers.length) throw invalidArgument(`invalid image: manifest has ${image.layers.length} layers, config ${diffIds.length}`);

    candidates = layerCandidates(diffIds);
    hold = holdLayers(ctx, [...candidates.map((c) => c.chainId), ...diffIds]);
    const present = await Promise.all(diffIds.map(async (d) => (await ctx.content.info(d)) !== undefined));
    const layers = image.layers;
    const existed = getImage(ctx.db, sha256Digest(configBytes)) !== undefined;
    // Docker lists no layers when the image is already here
    for (let i = 0; i < layers.length && !existed; i++) {
      options.progress(layerStatus(present[i] ? 'Already exists' : 'Pulling fs layer', shortId((layers[i] as Descriptor).digest)));
    }
    await streamLayers(ctx, repo, layers, diffIds, present, options.progress, abort, committed);
    const sources: LayerSource[] = layers.map((layer) => ({
      open(): Readable {
        throw new EngineError('internal', `layer ${layer.digest} vanished from the content store during the pull`);
      },
    }));
    const hadTag = ref.tag !== undefined ? getTag(ctx.db, formatReference(ref)) : undefined;
    const stored = await storeImage(ctx, configBytes, sources);
    storedImage = true;
    const id = stored.id;
    if (id !== sha256Digest(configBytes)) throw new EngineError('internal', 'image id does not match its config digest');
    setDigestRef(ctx.db, `${repositoryName(ref)}@${top.digest}`, id);
    layers.forEach((l, i) => {
      recordLayerDistribution(ctx.db, { diff_id: diffIds[i] as string, digest: l.digest, size: l.size, media_type: l.mediaType, registry: repo.client.endpoint.host, repository: ref.path });
    });
    if (ref.tag !== undefined) applyTag(ctx, id, ref);
    ctx.events.publish('image', 'pull', familiarString(ref), { name: familiarString(ref) });
    options.progress({ status: `Digest: ${top.digest}` });
    const upToDate = ref.tag !== undefined ? hadTag === id : existed;
    if (!options.noStatus) options.progress({ status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(ref)}` });
    return { id, reference: ref, upToDate };
  } finally {
    if (storedImage) hold?.release();
    else if (hold) releaseAfterGrace(ctx, hold, committed.map((i) => candidates[i] as LayerCandidate));
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** True when POST /images/create names neither tag nor digest: Docker then pulls every tag (`docker pull --all-tags`). */
export function wantsAllTags(fromImage: string, tag: string | undefined): boolean {
  const ref = parseReference(fromImage);
  return (tag === undefined || tag === '') && ref.tag === undefined && ref.digest === undefined;
}

/** Pulls every tag of a repository, one after the other, with one closing Status line. */
export async function pullAllTags(ctx: EngineContext, fromImage: string, options: PullOptions): Promise<void> {
  const base = parseReference(fromImage);
  const endpoint = endpointsFor(ctx, base).at(-1) as RegistryEndpoint;
  const repo = new RepositoryClient(new RegistryClient(endpoint, options.credentials ?? {}), base.path);
  const tags = await repo.listTags(options.signal).catch((err: unknown) => {
    throw translate(err, base);
  });
  if (tags.length === 0) throw notFound(`repository ${familiarName(base)} not found: no tags`);
  let allUpToDate = true;
  for (const tag of tags.sort()) {
    const r = await pullImage(ctx, fromImage, { ...options, tag, noStatus: true });
    allUpToDate &&= r.upToDate;
  }
  options.progress({ status: `Status: ${allUpToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarName(base)}` });
}

/** The registry endpoints to try: mirrors first for Docker Hub images, then the origin. */
function endpointsFor(ctx: EngineContext, ref: ImageReference): RegistryEndpoint[] {
  const settings = { insecureRegistries: ctx.settings.insecureRegistries ?? [] };
  const origin = endpointFor(ref.domain, settings);
  if (ref.domain !== 'docker.io') return [origin];
  const mirrors = (ctx.settings.registryMirrors ?? []).flatMap((m) => {
    try {
      const u = new URL(m);
      return [{ host: u.host, insecure: u.protocol === 'http:' }];
    } catch {
      return [];
    }
  });
  return [...mirrors, origin];
}

async function resolveManifest(ctx: EngineContext, ref: ImageReference, reference: string, options: PullOptions): Promise<{ repo: RepositoryClient; manifest: FetchedManifest }> {
  const endpoints = endpointsFor(ctx, ref);
  let lastError: unknown;
  for (const [i, endpoint] of endpoints.entries()) {
    const isMirror = i < endpoints.length - 1;
    const repo = new RepositoryClient(new RegistryClient(endpoint, isMirror ? {} : (options.credentials ?? {})), ref.path);
    try {
      return { repo, manifest: await repo.getManifest(reference, options.signal) };
    } catch (err) {
      lastError = err;
      if (!isMirror) break;
      ctx.log.debug(`mirror ${endpoint.host} failed for ${formatReference(ref)}: ${(err as Error).message}`);
    }
  }
  throw translate(lastError, ref);
}

/** Registry failures in the words moby's translatePullError uses. */
function translate(err: unknown, ref: ImageReference): unknown {
  if (!(err instanceof RegistryError)) return err;
  switch (err.code) {
    case 'MANIFEST_UNKNOWN':
      return notFound(`manifest for ${familiarString(ref)} not found: ${err.message}`);
    case 'NAME_UNKNOWN':
      return notFound(`repository ${familiarName(ref)} not found: ${err.message}`);
    case 'DENIED':
    case 'UNAUTHORIZED':
      return notFound(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`);
    default:
      return new EngineError(err.status >= 400 && err.status < 500 ? 'invalid_argument' : 'internal', err.message);
  }
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw invalidArgument(`invalid ${what}: not JSON`);
  }
}
