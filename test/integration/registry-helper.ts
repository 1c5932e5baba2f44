import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
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
