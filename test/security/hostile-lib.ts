/**
 * Helpers for the hostile-input suites (test/integration/hostile-*.test.ts
 * and test/security/*.test.ts): raw API requests with a timeout, tarballs
 * with arbitrary (malicious) entries, Docker image archives around them, a
 * snapshot of what a daemon owns on disk, and a seeded PRNG.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';
import { mountsUnder, type BerthdHarness } from '../helpers/berthd-harness.js';

export interface ApiReply {
  readonly status: number;
  readonly body: string;
  /** True when no full reply came within the timeout. */
  readonly timedOut?: boolean;
}

/** One request on the daemon's socket; resolves with status 0 and timedOut on timeout or socket error. */
export function api(
  h: Pick<BerthdHarness, 'socket'>,
  method: string,
  path: string,
  body?: string | Buffer,
  opts: { contentType?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<ApiReply> {
  return new Promise((resolve) => {
    let settled = false;
    const timer: { id?: NodeJS.Timeout } = {};
    const done = (r: ApiReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer.id);
      resolve(r);
    };
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (body !== undefined) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      // Node sends a GET/DELETE body unframed unless told its length.
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    let req: ReturnType<typeof request>;
    try {
      // A fresh connection each time: a garbled request must not poison a pooled keep-alive socket for the next one.
      req = request({ socketPath: h.socket, method, path, headers, agent: false }, onResponse);
    } catch (err) {
      // Node refuses to send some paths (unescaped characters): a client-side refusal, status 0.
      done({ status: 0, body: `client refused: ${(err as Error).message}` });
      return;
    }
    function onResponse(res: import('node:http').IncomingMessage): void {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    }
    timer.id = setTimeout(() => {
      req.destroy();
      done({ status: 0, body: '', timedOut: true });
    }, opts.timeoutMs ?? 30_000);
    req.on('error', (err) => done({ status: 0, body: String(err) }));
    req.end(body);
  });
}

export interface TarEntry {
  readonly name: string;
  readonly type?: Header['type'];
  readonly body?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
  readonly devmajor?: number;
  readonly devminor?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** A tar archive holding exactly the given entries (names are not cleaned). */
export async function makeTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const p = tarPack();
  const chunks: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    p.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    p.on('end', () => resolve(Buffer.concat(chunks)));
    p.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.body ?? '') : undefined;
    await new Promise<void>((resolve, reject) => {
      p.entry(
        {
          name: e.name,
          type,
          mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
          linkname: e.linkname,
          devmajor: e.devmajor,
          devminor: e.devminor,
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: new Date(0),
          size: body?.length ?? 0,
        },
        body ?? '',
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  p.finalize();
  return collected;
}

/** A gzip-compressed tar with one file of `size` zero bytes (a decompression bomb). */
export async function zeroBomb(size: number): Promise<Buffer> {
  const p = tarPack();
  const gz = createGzip({ level: 1 });
  const chunks: Buffer[] = [];
  const collected = new Promise<Buffer>((resolve, reject) => {
    gz.on('data', (c: Buffer) => chunks.push(c));
    gz.on('end', () => resolve(Buffer.concat(chunks)));
    gz.on('error', reject);
  });
  p.pipe(gz);
  const zero = Buffer.alloc(1 << 20);
  const entry = p.entry({ name: 'zeros', size, mode: 0o644 });
  let left = size;
  while (left > 0) {
    const n = Math.min(left, zero.length);
    if (!entry.write(zero.subarray(0, n))) await new Promise<void>((r) => entry.once('drain', () => r()));
    left -= n;
  }
  entry.end(Buffer.alloc(0));
  p.finalize();
  return collected;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * A docker-archive (`docker save` format) with one image whose single layer
 * is `layer`, tagged `repoTag`; `outer` adds entries to the archive itself.
 */
export async function imageArchive(layer: Buffer, repoTag: string, outer: readonly TarEntry[] = []): Promise<Buffer> {
  const diffId = `sha256:${sha256(layer)}`;
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: 'hostile' }],
    }),
  );
  const configName = `${sha256(config)}.json`;
  const layerName = `${sha256(layer)}/layer.tar`;
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [repoTag], Layers: [layerName] }]);
  return makeTar([
    ...outer,
    { name: `${sha256(layer)}/`, type: 'directory' },
    { name: layerName, body: layer },
    { name: configName, body: config },
    { name: 'manifest.json', body: manifest },
  ]);
}

/** What the daemon owns: containers, images, data-root dirs, tmp, mounts under its root. */
export async function snapshot(h: BerthdHarness): Promise<Record<string, unknown>> {
  const containers = (await api(h, 'GET', '/containers/json?all=1')).body;
  const images = (await api(h, 'GET', '/images/json?all=1')).body;
  const ls = async (p: string): Promise<string[]> => (await readdir(`${h.dataRoot}/${p}`).catch(() => [] as string[])).sort();
  return {
    containers,
    images,
    dirs: await ls('containers'),
    tmp: await ls('tmp'),
    snapshots: await ls('snapshots'),
    mounts: (await mountsUnder(h.root)).length,
  };
}

/** Mulberry32: a small seeded PRNG, so a failing fuzz run can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const asStream = (b: Buffer): Readable => Readable.from([b]);
