import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { fsyncDir, writeFileAtomic } from '../../lib/atomic-write.js';
import { DistributionError } from './distribution-error.js';

const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const UUID_RE = /^[a-f0-9-]{36}$/;

export const isRepositoryName = (s: string): boolean => s.length <= 255 && NAME_RE.test(s);
export const isTag = (s: string): boolean => TAG_RE.test(s);
export const isDigest = (s: string): boolean => DIGEST_RE.test(s);

interface UploadState {
  hash: Hash;
  size: number;
}

/**
 * The registry's filesystem storage under one root:
 *   blobs/sha256/<hex>                               published blobs (layers, configs, manifests)
 *   uploads/<uuid>                                   uploads in progress
 *   repositories/<name>/_layers/<hex>                a blob linked into the repository
 *   repositories/<name>/_manifests/revisions/<hex>   a manifest of the repository (content: its media type)
 *   repositories/<name>/_manifests/tags/<tag>        a tag (content: the manifest digest)
 * A blob is renamed into blobs/ only after its digest was checked; links and
 * tags are written atomically. Names, tags and digests are validated by the
 * callers' regexes before any path is built, so no path leaves the root.
 */
export class RegistryStorage {
  private readonly uploads = new Map<string, UploadState>();

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<RegistryStorage> {
    for (const d of ['blobs/sha256', 'uploads', 'repositories']) await mkdir(join(root, d), { recursive: true });
    // uploads do not survive a restart: their running hashes are gone
    for (const f of await readdir(join(root, 'uploads'))) await rm(join(root, 'uploads', f), { force: true });
    return new RegistryStorage(root);
  }

  private blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digest.slice(7));
  }
  private repoDir(name: string): string {
    return join(this.root, 'repositories', name);
  }
  private layerLink(name: string, digest: string): string {
    return join(this.repoDir(name), '_layers', digest.slice(7));
  }
  private revisionPath(name: string, digest: string): string {
    return join(this.repoDir(name), '_manifests', 'revisions', digest.slice(7));
  }
  private tagPath(name: string, tag: string): string {
    return join(this.repoDir(name), '_manifests', 'tags', tag);
  }
  /** `_referrers/<subject>/<referrer>`: an empty file per manifest whose `subject` is `<subject>`. */
  private referrerLink(name: string, subject: string, referrer: string): string {
    return join(this.repoDir(name), '_referrers', subject.slice(7), referrer.slice(7));
  }
  private uploadPath(uuid: string): string {
    if (!UUID_RE.test(uuid)) throw new DistributionError('BLOB_UPLOAD_UNKNOWN');
    return join(this.root, 'uploads', uuid);
  }

  /** Size of a blob linked into `name`, or undefined. */
  async blobSize(name: string, digest: string): Promise<number | undefined> {
    if (!(await exists(this.layerLink(name, digest))) && !(await exists(this.revisionPath(name, digest)))) return undefined;
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.size;
  }

  readBlob(digest: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.blobPath(digest), { ...range, highWaterMark: 1 << 20 });
  }

  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    const p = this.layerLink(name, digest);
    if (!(await exists(p))) return false;
    await rm(p);
    return true;
  }

  /** Links an existing blob into `name` (cross-repository mount); false when `from` does not have it. */
  async mountBlob(name: string, from: string, digest: string): Promise<boolean> {
    if ((await this.blobSize(from, digest)) === undefined) return false;
    await this.linkBlob(name, digest);
    return true;
  }

  private async linkBlob(name: string, digest: string): Promise<void> {
    const p = this.layerLink(name, digest);
    await mkdir(dirname(p), { recursive: true });
    await writeFileAtomic(p, digest);
  }

  async startUpload(): Promise<string> {
    const uuid = randomUUID();
    await writeFile(this.uploadPath(uuid), '');
    this.uploads.set(uuid, { hash: createHash('sha256'), size: 0 });
    return uuid;
  }

  uploadSize(uuid: string): number {
    const state = this.uploads.get(uuid);
    if (!state) throw new DistributionError('BLOB_UPLOAD_UNKNOWN');
    return state.size;
  }

  /** Appends a chunk; `start` (from Content-Range) must be the current size. Returns the new size. */
  async appendUpload(uuid: string, body: Readable, start?: number): Promise<number> {
    const state = this.uploads.get(uuid);
    const path = this.uploadPath(uuid);
    if (!state) throw new DistributionError('BLOB_UPLOAD_UNKNOWN');
    if (start !== undefined && start !== state.size) throw new DistributionError('RANGE_INVALID', { size: state.size });
    const hashing = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc, cb) {
        state.hash.update(chunk);
        state.size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(body, hashing, createWriteStream(path, { flags: 'a', highWaterMark: 1 << 20 }));
    return state.size;
  }

  /** Checks the digest and publishes the upload as a blob linked into `name`. */
  async finishUpload(name: string, uuid: string, digest: string): Promise<void> {
    const state = this.uploads.get(uuid);
    const path = this.uploadPath(uuid);
    if (!state) throw new DistributionError('BLOB_UPLOAD_UNKNOWN');
    this.uploads.delete(uuid);
    const actual = `sha256:${state.hash.digest('hex')}`;
    if (actual !== digest) {
      await rm(path, { force: true });
      throw new DistributionError('DIGEST_INVALID', { expected: digest, actual });
    }
    const fh = await open(path, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(path, this.blobPath(digest));
    await fsyncDir(dirname(this.blobPath(digest)));
    await this.linkBlob(name, digest);
  }

  async cancelUpload(uuid: string): Promise<void> {
    const path = this.uploadPath(uuid);
    if (!this.uploads.delete(uuid)) throw new DistributionError('BLOB_UPLOAD_UNKNOWN');
    await rm(path, { force: true });
  }

  /** Stores manifest bytes as a blob and a revision of `name`; tags it when `tag` is given. */
  async putManifest(name: string, digest: string, mediaType: string, bytes: Buffer, tag?: string): Promise<void> {
    const blob = this.blobPath(digest);
    if (!(await exists(blob))) {
      const tmp = join(this.root, 'uploads', `manifest-${randomUUID()}`);
      await writeFile(tmp, bytes);
      await link(tmp, blob).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      await rm(tmp, { force: true });
    }
    const rev = this.revisionPath(name, digest);
    await mkdir(dirname(rev), { recursive: true });
    await writeFileAtomic(rev, mediaType);
    if (tag !== undefined) {
      const t = this.tagPath(name, tag);
      await mkdir(dirname(t), { recursive: true });
      await writeFileAtomic(t, digest);
    }
  }

  /** Records that manifest `referrer` (already stored) names `subject` as its subject. */
  async addReferrer(name: string, subject: string, referrer: string): Promise<void> {
    const p = this.referrerLink(name, subject, referrer);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, '');
  }

  /** The manifests of `name` whose subject is `subject` (those still present), sorted by digest. */
  async referrers(name: string, subject: string): Promise<string[]> {
    const dir = dirname(this.referrerLink(name, subject, subject));
    const hexes = await readdir(dir).catch(() => [] as string[]);
    const out: string[] = [];
    for (const hex of hexes.sort()) {
      const digest = `sha256:${hex}`;
      if (isDigest(digest) && (await exists(this.revisionPath(name, digest)))) out.push(digest);
    }
    return out;
  }

  async resolveTag(name: string, tag: string): Promise<string | undefined> {
    const d = (await readFile(this.tagPath(name, tag), 'utf8').catch(() => undefined))?.trim();
    return d !== undefined && isDigest(d) ? d : undefined;
  }

  async getManifest(name: string, digest: string): Promise<{ mediaType: string; bytes: Buffer } | undefined> {
    const mediaType = await readFile(this.revisionPath(name, digest), 'utf8').catch(() => undefined);
    if (mediaType === undefined) return undefined;
    const bytes = await readFile(this.blobPath(digest)).catch(() => undefined);
    return bytes ? { mediaType, bytes } : undefined;
  }

  /** Removes a manifest revision and every tag pointing at it. */
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const rev = this.revisionPath(name, digest);
    if (!(await exists(rev))) return false;
    for (const tag of await this.tags(name)) {
      if ((await this.resolveTag(name, tag)) === digest) await rm(this.tagPath(name, tag), { force: true });
    }
    await rm(rev, { force: true });
    return true;
  }

  async deleteTag(name: string, tag: string): Promise<boolean> {
    const p = this.tagPath(name, tag);
    if (!(await exists(p))) return false;
    await rm(p);
    return true;
  }

  async repositoryExists(name: string): Promise<boolean> {
    return exists(join(this.repoDir(name), '_manifests')) || exists(join(this.repoDir(name), '_layers'));
  }

  async tags(name: string): Promise<string[]> {
    const names = await readdir(join(this.repoDir(name), '_manifests', 'tags')).catch(() => [] as string[]);
    return names.filter((t) => isTag(t)).sort();
  }

  /** Every repository with at least one manifest, sorted. */
  async repositories(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await readdir(join(this.root, 'repositories', rel), { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        if (e.name === '_manifests') out.push(rel);
        else if (!e.name.startsWith('_')) await walk(rel === '' ? e.name : `${rel}/${e.name}`);
      }
    };
    await walk('');
    return out.sort();
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
