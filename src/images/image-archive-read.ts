import { once } from 'node:events';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { EngineError, invalidArgument } from '../errors/engine-error.js';
import { decompressStream } from './decompress.js';
import { MEDIA_TYPES, hostArchitecture } from './image-config.js';
import { entryComponents } from './layer-apply.js';

/** One image found in an archive; paths are files in the spool dir. */
export interface ArchiveImage {
  readonly configPath: string;
  readonly layerPaths: readonly string[];
  /** Names as the archive gives them (`busybox:latest`, `docker.io/library/busybox:latest`). */
  readonly repoTags: readonly string[];
}

/** The files of a spooled archive, addressed by their name in the archive. */
export interface ArchiveFiles {
  readonly dir: string;
  /** Absolute path of a regular file named `name` (links followed inside the archive), or undefined. */
  resolve(name: string): Promise<string | undefined>;
}

const MAX_LINK_HOPS = 16;
const MAX_JSON = 64 * 1024 * 1024;

/**
 * Streams a (possibly gzip'd) tar into `dir`, keeping regular files and
 * directories; symlinks and hardlinks between archive members are remembered
 * and resolved on lookup, never created. The caller owns and removes `dir`.
 */
export async function spoolArchive(source: Readable, dir: string, options: { signal?: AbortSignal } = {}): Promise<ArchiveFiles> {
  const links = new Map<string, string>();
  try {
    const { stream } = await decompressStream(source);
    const extract = tar.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, entry, next) => {
        // the extractor reports a broken entry itself; keep the entry's copy of it from going unhandled
        entry.on('error', () => undefined);
        spoolEntry(dir, links, header, entry as unknown as AsyncIterable<Buffer> & { resume(): unknown }).then(
          () => next(),
          (err: unknown) => {
            reject(err);
            extract.destroy(err as Error);
          },
        );
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    done.catch(() => undefined);
    const pump = async (): Promise<void> => {
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          options.signal?.throwIfAborted();
          if (!extract.write(chunk)) await Promise.race([once(extract, 'drain'), done]);
        }
      } catch (err) {
        extract.destroy(err as Error);
        throw err;
      }
      extract.end(undefined);
    };
    await Promise.all([pump(), done]);
  } catch (err) {
    source.destroy();
    if (err instanceof EngineError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'AbortError' || e.code === 'ENOSPC' || e.code === 'EIO') throw err;
    throw invalidArgument(`invalid image archive: ${e.message}`, { cause: err });
  }
  return {
    dir,
    resolve: async (name) => {
      let rel = posix.normalize(name.replace(/^\/+/, '')).replace(/^\.\//, '');
      for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
        if (rel.startsWith('..') || rel === '.') return undefined;
        const target = links.get(rel);
        if (target === undefined) break;
        rel = target;
      }
      const abs = join(dir, ...rel.split('/'));
      try {
        return (await stat(abs)).isFile() ? abs : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

async function spoolEntry(
  dir: string,
  links: Map<string, string>,
  header: tar.Header,
  entry: AsyncIterable<Buffer> & { resume(): unknown },
): Promise<void> {
  const comps = entryComponents(header.name);
  const rel = comps.join('/');
  switch (header.type) {
    case 'directory':
      if (comps.length > 0) await mkdir(join(dir, ...comps), { recursive: true });
      entry.resume();
      return;
    case 'file':
    case 'contiguous-file': {
      if (comps.length === 0) throw invalidArgument('invalid image archive: file entry without a name');
      await mkdir(join(dir, ...comps.slice(0, -1)), { recursive: true });
      const fh = await open(join(dir, ...comps), 'w', 0o600);
      try {
        for await (const chunk of entry) await fh.write(chunk);
      } finally {
        await fh.close();
      }
      return;
    }
    case 'symlink': {
      // legacy docker-archive shares layers as `<id>/layer.tar -> ../<other>/layer.tar`
      const target = posix.normalize(posix.join(posix.dirname(rel), header.linkname));
      links.set(rel, target);
      entry.resume();
      return;
    }
    case 'link':
      links.set(rel, posix.normalize(header.linkname.replace(/^\/+/, '')).replace(/^\.\//, ''));
      entry.resume();
      return;
    default:
      entry.resume();
  }
}

async function readJson(files: ArchiveFiles, name: string): Promise<unknown> {
  const path = await files.resolve(name);
  if (path === undefined) throw invalidArgument(`invalid image archive: ${name} not found`);
  const st = await stat(path);
  if (st.size > MAX_JSON) throw invalidArgument(`invalid image archive: ${name} is too large`);
  try {
    return JSON.parse((await readFile(path)).toString('utf8')) as unknown;
  } catch (err) {
    throw invalidArgument(`invalid image archive: ${name}: ${(err as Error).message}`);
  }
}

/**
 * Finds the images in a spooled archive: Docker's `manifest.json` when
 * present (classic and Docker 25+ saves), else an OCI image layout.
 */
export async function readArchiveImages(files: ArchiveFiles): Promise<ArchiveImage[]> {
  if ((await files.resolve('manifest.json')) !== undefined) return readDockerManifest(files);
  if ((await files.resolve('index.json')) !== undefined) return readOciLayout(files);
  throw invalidArgument('invalid image archive: neither manifest.json nor index.json found (is this a docker save or OCI layout tarball?)');
}

interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

async function readDockerManifest(files: ArchiveFiles): Promise<ArchiveImage[]> {
  const manifest = await readJson(files, 'manifest.json');
  if (!Array.isArray(manifest)) throw invalidArgument('invalid image archive: manifest.json is not a list');
  const out: ArchiveImage[] = [];
  for (const raw of manifest as DockerManifestEntry[]) {
    if (typeof raw !== 'object' || raw === null || typeof raw.Config !== 'string' || !Array.isArray(raw.Layers)) {
      throw invalidArgument('invalid image archive: malformed manifest.json entry');
    }
    const configPath = await mustResolve(files, raw.Config);
    const layerPaths: string[] = [];
    for (const l of raw.Layers as unknown[]) {
      if (typeof l !== 'string') throw invalidArgument('invalid image archive: malformed layer path in manifest.json');
      layerPaths.push(await mustResolve(files, l));
    }
    const repoTags = Array.isArray(raw.RepoTags) ? (raw.RepoTags as unknown[]).filter((t): t is string => typeof t === 'string') : [];
    out.push({ configPath, layerPaths, repoTags });
  }
  return out;
}

async function mustResolve(files: ArchiveFiles, name: string): Promise<string> {
  const path = await files.resolve(name);
  if (path === undefined) throw invalidArgument(`invalid image archive: ${name} is missing (truncated archive?)`);
  return path;
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

function blobName(digest: unknown): string {
  if (typeof digest !== 'string' || !/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) {
    throw invalidArgument(`invalid image archive: bad digest ${JSON.stringify(digest)}`);
  }
  const [alg, hex] = digest.split(':') as [string, string];
  return `blobs/${alg}/${hex}`;
}

const INDEX_TYPES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList]);

async function readOciLayout(files: ArchiveFiles): Promise<ArchiveImage[]> {
  const index = (await readJson(files, 'index.json')) as { manifests?: Descriptor[] };
  if (!Array.isArray(index.manifests)) throw invalidArgument('invalid image archive: index.json has no manifests');
  const out: ArchiveImage[] = [];
  for (const desc of index.manifests) {
    const name = imageNameOf(desc.annotations ?? {});
    const manifest = await resolveManifest(files, desc, 0);
    if (!manifest) continue;
    const configPath = await mustResolve(files, blobName(manifest.config?.digest));
    const layerPaths: string[] = [];
    for (const l of manifest.layers ?? []) layerPaths.push(await mustResolve(files, blobName(l.digest)));
    const existing = out.find((i) => i.configPath === configPath);
    if (existing) {
      if (name !== undefined) (existing.repoTags as string[]).push(name);
      continue;
    }
    out.push({ configPath, layerPaths, repoTags: name !== undefined ? [name] : [] });
  }
  if (out.length === 0) throw invalidArgument(`invalid image archive: no image for linux/${hostArchitecture()} in index.json`);
  return out;
}

/** The name an OCI index entry gives its image, if a full reference is known. */
function imageNameOf(annotations: Record<string, string>): string | undefined {
  const containerd = annotations['io.containerd.image.name'];
  if (containerd) return containerd;
  const ref = annotations['org.opencontainers.image.ref.name'];
  // A bare tag ("latest") names no repository; only full references are usable.
  if (ref && /[/:]/.test(ref)) return ref;
  return undefined;
}

interface ManifestDoc {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

async function resolveManifest(files: ArchiveFiles, desc: Descriptor, depth: number): Promise<ManifestDoc | undefined> {
  if (depth > 4) throw invalidArgument('invalid image archive: index nesting too deep');
  const doc = (await readJson(files, blobName(desc.digest))) as ManifestDoc;
  const mediaType = doc.mediaType ?? desc.mediaType;
  if ((mediaType !== undefined && INDEX_TYPES.has(mediaType)) || Array.isArray(doc.manifests)) {
    const arch = hostArchitecture();
    const candidates = (doc.manifests ?? []).filter((m) => {
      if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return false;
      if (!m.platform) return true;
      return (m.platform.os ?? 'linux') === 'linux' && m.platform.architecture === arch;
    });
    for (const c of candidates) {
      if ((await files.resolve(blobName(c.digest))) === undefined) continue; // a partial (single-platform) save
      const found = await resolveManifest(files, c, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw invalidArgument(`invalid image archive: manifest ${desc.digest ?? ''} is malformed`);
  return doc;
}
