import { once } from 'node:events';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { sha256Digest } from '../lib/digest.js';
import { MEDIA_TYPES } from './image-config.js';
import { type ImageReference, familiarName, familiarString, formatReference } from './reference.js';

export interface SaveLayer {
  /** `sha256:` of the uncompressed tar; also its blob name in the archive. */
  readonly diffId: string;
  readonly size: number;
  /** The uncompressed layer tar. */
  open(): Readable;
}

export interface SaveImage {
  readonly id: string;
  readonly configBytes: Buffer;
  readonly layers: readonly SaveLayer[];
  /** Tags to record for this image (references with a tag). */
  readonly tags: readonly ImageReference[];
}

const MTIME = new Date(0);

/**
 * Writes images as Docker 25+ `docker save` does: an OCI image layout
 * (oci-layout, index.json, blobs/sha256/…) plus the legacy `manifest.json`
 * and `repositories`, layers uncompressed. Streams with backpressure: the
 * returned stream produces the tar as it is read.
 */
export function writeImageArchive(images: readonly SaveImage[]): Readable {
  const pack = tar.pack();
  run(pack, images).catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}

async function run(pack: tar.Pack, images: readonly SaveImage[]): Promise<void> {
  const written = new Set<string>();
  const dirs = new Set<string>();
  const addDir = (name: string): void => {
    if (dirs.has(name)) return;
    dirs.add(name);
    pack.entry({ name, type: 'directory', mode: 0o755, mtime: MTIME, uid: 0, gid: 0 });
  };
  const addFile = (name: string, data: Buffer): void => {
    pack.entry({ name, size: data.length, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 }, data);
  };
  const addBlob = async (digest: string, data: Buffer | (() => Readable), size: number): Promise<void> => {
    if (written.has(digest)) return;
    written.add(digest);
    addDir('blobs/');
    addDir('blobs/sha256/');
    const name = `blobs/sha256/${digest.slice('sha256:'.length)}`;
    if (Buffer.isBuffer(data)) {
      addFile(name, data);
      return;
    }
    const sink = pack.entry({ name, size, mode: 0o644, mtime: MTIME, uid: 0, gid: 0 });
    const source = data();
    const finished = new Promise<void>((resolve, reject) => {
      sink.on('finish', () => resolve());
      sink.on('error', reject);
      sink.on('close', () => resolve());
    });
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (!sink.write(chunk)) await Promise.race([once(sink, 'drain'), finished]);
      }
    } finally {
      source.destroy();
    }
    sink.end(undefined);
    await finished;
  };

  const indexEntries: unknown[] = [];
  const legacy: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};

  for (const img of images) {
    const configDigest = sha256Digest(img.configBytes);
    await addBlob(configDigest, img.configBytes, img.configBytes.length);
    for (const layer of img.layers) await addBlob(layer.diffId, () => layer.open(), layer.size);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: { mediaType: MEDIA_TYPES.ociConfig, digest: configDigest, size: img.configBytes.length },
        layers: img.layers.map((l) => ({ mediaType: MEDIA_TYPES.ociLayer, digest: l.diffId, size: l.size })),
      }),
    );
    const manifestDigest = sha256Digest(manifest);
    await addBlob(manifestDigest, manifest, manifest.length);
    const descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: manifestDigest, size: manifest.length };
    if (img.tags.length === 0) indexEntries.push(descriptor);
    for (const ref of img.tags) {
      indexEntries.push({
        ...descriptor,
        annotations: { 'io.containerd.image.name': formatReference(ref), 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' },
      });
      const top = img.layers[img.layers.length - 1];
      if (top !== undefined && ref.tag !== undefined) {
        (repositories[familiarName(ref)] ??= {})[ref.tag] = top.diffId.slice('sha256:'.length);
      }
    }
    legacy.push({
      Config: `blobs/sha256/${configDigest.slice('sha256:'.length)}`,
      RepoTags: img.tags.length > 0 ? img.tags.map((t) => familiarString(t)) : null,
      Layers: img.layers.map((l) => `blobs/sha256/${l.diffId.slice('sha256:'.length)}`),
    });
  }

  addFile('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: indexEntries }) + '\n'));
  addFile('manifest.json', Buffer.from(JSON.stringify(legacy) + '\n'));
  addFile('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  if (Object.keys(repositories).length > 0) addFile('repositories', Buffer.from(JSON.stringify(repositories) + '\n'));
  pack.finalize();
}
