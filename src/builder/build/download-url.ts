import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { BuildError } from './build-context.js';

export interface Downloaded {
  /** Where the file landed (mode 0600, mtime from Last-Modified when the server sent one). */
  readonly path: string;
  /** The name it gets in the image when the destination is a directory. */
  readonly name: string;
  /** sha256 (hex) of its bytes. */
  readonly sha256: string;
  /** Last-Modified as seconds since the epoch, undefined when absent. */
  readonly mtime?: number;
}

/**
 * ADD <url>: fetches the file as Docker's classic builder does — never
 * extracted, mode 0600, its mtime from Last-Modified; the name in the image is
 * the last segment of the URL's path (else Content-Disposition's filename)
 * when the destination is a directory.
 */
export async function downloadUrl(url: string, dir: string, signal?: AbortSignal): Promise<Downloaded> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BuildError(`ADD failed: invalid URL: ${url}`);
  }
  let res: Response;
  try {
    res = await fetch(parsed, { redirect: 'follow', ...(signal ? { signal } : {}) });
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    throw new BuildError(`ADD failed: failed to GET ${url}: ${cause?.message ?? (err as Error).message}`);
  }
  if (res.status >= 400) {
    const body = (await res.text().catch(() => '')).slice(0, 512);
    throw new BuildError(`ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}: ${body.trim()}`);
  }
  const name = filenameFor(parsed.pathname, res.headers.get('content-disposition'));
  if (name === undefined) {
    await res.body?.cancel().catch(() => undefined);
    throw new BuildError(`ADD failed: cannot determine filename from url: ${url}`);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'download');
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const body = res.body ? Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>) : Readable.from([]);
  await pipeline(body, tee, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  const lastModified = res.headers.get('last-modified');
  const ms = lastModified !== null ? Date.parse(lastModified) : NaN;
  const mtime = Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  if (mtime !== undefined) await utimes(path, mtime, mtime);
  return { path, name, sha256: hash.digest('hex'), ...(mtime !== undefined ? { mtime } : {}) };
}

/** moby's getFilenameForDownload: the URL path's last segment, else Content-Disposition's filename. */
function filenameFor(pathname: string, disposition: string | null): string | undefined {
  const ok = (n: string): string | undefined => {
    const base = posix.basename(n);
    return base === '' || base === '.' || base === '..' || base === '/' ? undefined : base;
  };
  let path = pathname;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    // keep it encoded
  }
  if (path !== '' && !path.endsWith('/')) {
    const n = ok(path);
    if (n !== undefined) return n;
  }
  const m = disposition !== null ? /filename\*?=(?:"([^"]*)"|([^;\s]*))/i.exec(disposition) : null;
  const given = m?.[1] ?? m?.[2];
  if (given !== undefined && given !== '' && !given.endsWith('/')) return ok(given);
  return undefined;
}
