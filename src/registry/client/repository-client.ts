import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { MANIFEST_ACCEPT } from './manifest-types.js';
import type { RegistryClient } from './registry-client.js';
import { RegistryError } from './registry-error.js';

export interface FetchedManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

const MAX_MANIFEST = 4 * 1024 * 1024;

/** The distribution API operations on one repository (`library/busybox`) of a registry. */
export class RepositoryClient {
  constructor(
    readonly client: RegistryClient,
    readonly name: string,
  ) {}

  private scope(push = false): string {
    return `repository:${this.name}:${push ? 'pull,push' : 'pull'}`;
  }

  /** GET a manifest by tag or digest; the digest is checked when the reference is one. */
  async getManifest(reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const res = await this.client.request('GET', `/v2/${this.name}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT }, scope: this.scope(), ...(signal ? { signal } : {}) });
    if (!res.ok) throw await RegistryError.fromResponse(res, `manifest ${reference}`);
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > MAX_MANIFEST) throw new RegistryError(0, 'MANIFEST_INVALID', `manifest ${reference} is too large (${length} bytes)`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > MAX_MANIFEST) throw new RegistryError(0, 'MANIFEST_INVALID', `manifest ${reference} is too large`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new RegistryError(0, 'DIGEST_INVALID', `manifest verification failed for digest ${reference}`);
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { mediaType, digest, bytes };
  }

  /** Every tag of the repository, following the Link header's pages. */
  async listTags(signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${this.name}/tags/list`;
    while (next !== undefined) {
      const res = await this.client.request('GET', next, { scope: this.scope(), ...(signal ? { signal } : {}) });
      if (!res.ok) throw await RegistryError.fromResponse(res, 'tags list');
      tags.push(...(((await res.json()) as { tags?: string[] | null }).tags ?? []));
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    return tags;
  }

  /** Downloads a blob to `dest`, verifying size and digest; on any failure `dest` is removed. */
  async downloadBlob(digest: string, size: number, dest: string, options: { signal?: AbortSignal; onProgress?: (current: number) => void } = {}): Promise<void> {
    const res = await this.client.request('GET', `/v2/${this.name}/blobs/${digest}`, { scope: this.scope(), ...(options.signal ? { signal: options.signal } : {}) });
    if (!res.ok || !res.body) throw await RegistryError.fromResponse(res, `blob ${digest}`);
    const hash = createHash('sha256');
    let current = 0;
    let lastReport = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        current += chunk.length;
        if (current > size) {
          cb(new RegistryError(0, 'SIZE_INVALID', `blob ${digest} is larger than its descriptor's ${size} bytes`));
          return;
        }
        const now = Date.now();
        if (now - lastReport > 100 || current === size) {
          lastReport = now;
          options.onProgress?.(current);
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), counter, createWriteStream(dest), options.signal ? { signal: options.signal } : {});
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest || current !== size) {
        throw new RegistryError(0, 'DIGEST_INVALID', `filesystem layer verification failed for digest ${digest}`);
      }
    } catch (err) {
      await rm(dest, { force: true });
      throw err;
    }
  }

  /**
   * Opens a blob for reading: the response body as a stream, unverified (the
   * caller hashes it). Network failures while reading surface as
   * RegistryError status 0, so they can be retried.
   */
  async openBlob(digest: string, signal?: AbortSignal): Promise<Readable> {
    const res = await this.client.request('GET', `/v2/${this.name}/blobs/${digest}`, { scope: this.scope(), ...(signal ? { signal } : {}) });
    if (!res.ok || !res.body) throw await RegistryError.fromResponse(res, `blob ${digest}`);
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>, { highWaterMark: 1 << 20 });
    const out = new Transform({
      highWaterMark: 1 << 20,
      transform(chunk: Buffer, _enc, cb) {
        cb(null, chunk);
      },
    });
    body.on('error', (err: Error) => {
      if (signal?.aborted || err.name === 'AbortError') out.destroy(err);
      else out.destroy(new RegistryError(0, undefined, `reading blob ${digest}: ${(err as Error & { cause?: Error }).cause?.message ?? err.message}`));
    });
    out.on('close', () => body.destroy());
    body.pipe(out);
    return out;
  }

  /** A small blob (a config) read into memory and verified against its digest and size. */
  async fetchBlob(digest: string, size: number, signal?: AbortSignal): Promise<Buffer> {
    if (size > MAX_MANIFEST * 2) throw new RegistryError(0, 'SIZE_INVALID', `blob ${digest} is too large (${size} bytes)`);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const c of (await this.openBlob(digest, signal)) as AsyncIterable<Buffer>) {
      total += c.length;
      if (total > size) throw new RegistryError(0, 'SIZE_INVALID', `blob ${digest} is larger than its descriptor's ${size} bytes`);
      chunks.push(c);
    }
    const bytes = Buffer.concat(chunks);
    if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` !== digest || bytes.length !== size) {
      throw new RegistryError(0, 'DIGEST_INVALID', `blob verification failed for digest ${digest}`);
    }
    return bytes;
  }

  /**
   * Uploads a stream whose digest is known only at its end, as Docker does:
   * POST for a session, one PATCH carrying the whole stream (chunked
   * transfer encoding), then PUT ?digest= with no body. `digest` is asked for
   * once the stream has been sent.
   */
  async uploadStream(source: AsyncIterable<Uint8Array>, digest: () => string, options: { signal?: AbortSignal; onProgress?: (current: number) => void } = {}): Promise<void> {
    const signal = options.signal ? { signal: options.signal } : {};
    const start = await this.client.request('POST', `/v2/${this.name}/blobs/uploads/`, { scope: this.scope(true), ...signal });
    await start.body?.cancel().catch(() => undefined);
    const started = start.headers.get('location');
    if (start.status !== 202 || !started) throw await RegistryError.fromResponse(start, 'blob upload');
    const onProgress = options.onProgress;
    const body = !onProgress
      ? source
      : (async function* () {
          let sent = 0;
          let last = 0;
          for await (const chunk of source) {
            sent += chunk.length;
            const now = Date.now();
            if (now - last > 100) {
              last = now;
              onProgress(sent);
            }
            yield chunk;
          }
          onProgress(sent);
        })();
    const patch = await this.client.sendStream('PATCH', this.client.absolute(started), body, { scope: this.scope(true), headers: { 'Content-Type': 'application/octet-stream' }, ...signal });
    if (patch.status !== 202 && patch.status !== 204) {
      throw await RegistryError.fromResponse(new Response(patch.text, { status: patch.status, headers: { 'content-type': String(patch.headers['content-type'] ?? '') } }), 'blob upload');
    }
    const next = patch.headers.location;
    const location = (Array.isArray(next) ? next[0] : next) ?? started;
    const d = digest();
    const url = new URL(this.client.absolute(location));
    url.searchParams.set('digest', d);
    const res = await this.client.request('PUT', url.toString(), { scope: this.scope(true), body: () => Buffer.alloc(0), ...signal });
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 201) throw await RegistryError.fromResponse(res, `blob upload ${d}`);
  }


  /** True when the registry has the blob in this repository. */
  async hasBlob(digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.client.request('HEAD', `/v2/${this.name}/blobs/${digest}`, { scope: this.scope(true), ...(signal ? { signal } : {}) });
    if (res.status === 404) return false;
    if (!res.ok) throw await RegistryError.fromResponse(res, `blob ${digest}`);
    return true;
  }

  /** Cross-repository mount; false when the registry started an upload instead (then cancelled). */
  async mountBlob(digest: string, from: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.client.request('POST', `/v2/${this.name}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, {
      scope: `${this.scope(true)} repository:${from}:pull`,
      ...(signal ? { signal } : {}),
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 201) return true;
    const location = res.headers.get('location');
    if (res.status === 202 && location) {
      const cancel = await this.client.request('DELETE', this.client.absolute(location), { scope: this.scope(true) }).catch(() => undefined);
      await cancel?.body?.cancel().catch(() => undefined);
    }
    return false;
  }

  /**
   * Uploads the file at `path` as blob `digest`: POST for a session, then one
   * PUT with the whole body (monolithic) or, with `chunkSize`, PATCHes of at
   * most that many bytes (Content-Range, following each Location) and a
   * closing PUT with no body.
   */
  async uploadBlob(path: string, digest: string, options: { signal?: AbortSignal; onProgress?: (current: number) => void; chunkSize?: number } = {}): Promise<void> {
    const size = (await stat(path)).size;
    const signal = options.signal ? { signal: options.signal } : {};
    const start = await this.client.request('POST', `/v2/${this.name}/blobs/uploads/`, { scope: this.scope(true), ...signal });
    await start.body?.cancel().catch(() => undefined);
    let location = start.headers.get('location');
    if (start.status !== 202 || !location) throw await RegistryError.fromResponse(start, `blob upload ${digest}`);
    const fileBody = (from: number, length: number, sentBefore: number) => (): AsyncIterable<Uint8Array> => {
      let sent = sentBefore;
      const source = length === 0 ? Readable.from([]) : createReadStream(path, { start: from, end: from + length - 1 });
      return (async function* () {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          sent += chunk.length;
          options.onProgress?.(sent);
          yield chunk;
        }
      })();
    };
    const chunkSize = options.chunkSize ?? 0;
    let offset = 0;
    if (chunkSize > 0) {
      while (offset < size) {
        const length = Math.min(chunkSize, size - offset);
        const res = await this.client.request('PATCH', this.client.absolute(location), {
          scope: this.scope(true),
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length), 'Content-Range': `${offset}-${offset + length - 1}` },
          body: fileBody(offset, length, offset),
          ...signal,
        });
        await res.body?.cancel().catch(() => undefined);
        location = res.headers.get('location') ?? location;
        if (res.status !== 202) throw await RegistryError.fromResponse(res, `blob upload ${digest}`);
        offset += length;
      }
    }
    const url = new URL(this.client.absolute(location));
    url.searchParams.set('digest', digest);
    const res = await this.client.request('PUT', url.toString(), {
      scope: this.scope(true),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size - offset) },
      body: fileBody(offset, size - offset, offset),
      ...signal,
    });
    await res.body?.cancel().catch(() => undefined);
    if (res.status !== 201) throw await RegistryError.fromResponse(res, `blob upload ${digest}`);
  }

  async putManifest(reference: string, mediaType: string, bytes: Buffer, signal?: AbortSignal): Promise<string> {
    const res = await this.client.request('PUT', `/v2/${this.name}/manifests/${reference}`, {
      scope: this.scope(true),
      headers: { 'Content-Type': mediaType },
      body: () => bytes,
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 201) throw await RegistryError.fromResponse(res, `manifest ${reference}`);
    await res.body?.cancel().catch(() => undefined);
    return res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }
}
