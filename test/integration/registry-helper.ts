import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as tar from 'tar-stream';
import { repoRoot } from '../helpers/berthd-harness.js';

/** A `berth registry serve` on a free loopback port with its storage on tmpfs. */
export interface TestRegistry {
  /** `localhost:PORT` */
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  /** The access log so far (JSON lines; empty unless started with `log: true`). */
  log(): string;
  stop(): Promise<void>;
}

export async function startRegistry(name: string, opts: { htpasswd?: string; token?: boolean; addr?: string; tls?: { certificate: string; key: string }; log?: boolean } = {}): Promise<TestRegistry> {
  const dir = `/dev/shm/berth-registry-${name}-${randomBytes(3).toString('hex')}`;
  await mkdir(dir, { recursive: true });
  const bind = opts.addr ?? '127.0.0.1';
  const args = [`${repoRoot}/bin/berth`, 'registry', 'serve', '--addr', `${bind}:0`, '--storage', `${dir}/storage`, ...(opts.log ? [] : ['--quiet'])];
  if (opts.htpasswd !== undefined || opts.tls !== undefined) {
    const config: Record<string, unknown> = {};
    if (opts.htpasswd !== undefined) {
      await writeFile(`${dir}/htpasswd`, opts.htpasswd);
      config.auth = { htpasswd: { path: 'htpasswd', realm: 'test' }, ...(opts.token ? { token: { service: 'berth-test' } } : {}) };
    }
    if (opts.tls) config.tls = opts.tls;
    await writeFile(`${dir}/config.json`, JSON.stringify(config));
    args.push('--config', `${dir}/config.json`);
  }
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let accessLog = '';
  child.stderr?.on('data', (b: Buffer) => (accessLog += b.toString()));
  const started = new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${out}${err}`)), 10_000);
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited (${code}): ${out}${err}`));
    });
  });
  const port = await started.catch(async (err: unknown) => {
    child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    host: `${opts.addr ?? 'localhost'}:${port}`,
    port,
    dir,
    log: () => accessLog,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A layer tar with these files (mode 0644, mtime 0). */
export async function layerTar(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** `n` incompressible bytes (deterministic for `seed`), so a layer streams in many pieces. */
export function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

/**
 * Uploads these gzipped layer blobs and an image config naming `diffIds` to the registry at `base`
 * over the distribution API, then puts a Docker v2 manifest for them as `<repo>:latest`.
 */
export async function putLayers(base: string, repo: string, blobs: readonly Buffer<ArrayBuffer>[], diffIds: readonly string[]): Promise<void> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
  for (const b of [...blobs, config]) {
    const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201, await res.text());
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
    layers: blobs.map((b) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: b.length, digest: sha256(b) })),
  };
  const res = await fetch(`${base}/v2/${repo}/manifests/latest`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'Content-Type': manifest.mediaType } });
  assert.equal(res.status, 201, await res.text());
}
