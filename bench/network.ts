/**
 * `node dist/bench/network.js`: published-port throughput and connection rate,
 * Berth beside Docker on the same host, same client, same busybox image.
 *
 * - throughput: a Node client writes 200 MB to 127.0.0.1:<hostport>, published
 *   with `-p 127.0.0.1::80` from a busybox `nc -l -p 80 > /dev/null`;
 *   time from connect until the container's nc closes after EOF.
 * - connection rate: HTTP GETs (one connection each, 4 at a time) to a busybox
 *   httpd published the same way.
 *
 * Engines: berthd (default, userland proxy for loopback as Docker),
 * berthd with daemon.json "userland-proxy": false (kernel DNAT from loopback),
 * and, when Debian's docker.io is installed, a reference dockerd on its own
 * tmpfs root and socket, on a bridge this script creates (10.250.0.1/24) with
 * --iptables=false --ip-forward=false --ip-masq=false: it writes no iptables
 * rule at all (loopback traffic goes through docker-proxy, which is Docker's
 * loopback path with its default userland-proxy anyway). The bridge and the
 * tmpfs are removed afterwards. Traffic only to 127.0.0.1.
 * Environment: BENCH_NET_MB (default 200), BENCH_NET_CONNS (default 1000), BENCH_NET_RUNS (default 3).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { request, Agent } from 'node:http';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { busyboxTarball, loadBusybox, mountsUnder, ping, runCli, startBerthd } from '../test/helpers/berthd-harness.js';

const totalMb = Number(process.env.BENCH_NET_MB ?? 200);
const conns = Number(process.env.BENCH_NET_CONNS ?? 1000);
const runs = Number(process.env.BENCH_NET_RUNS ?? 3);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

function sh(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('close', (code) => resolve(code ?? 1));
    c.on('error', () => resolve(1));
  });
}

interface Engine {
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stop: () => Promise<void>;
}

async function startDockerd(): Promise<Engine | undefined> {
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!dockerd) return undefined;
  const tag = randomBytes(2).toString('hex');
  const bridge = `bnref${tag}`;
  const root = `/tmp/berth-bench-net-docker-${tag}`;
  if ((await sh('ip', ['link', 'add', 'name', bridge, 'type', 'bridge'])) !== 0) throw new Error(`cannot create bridge ${bridge}`);
  await sh('ip', ['addr', 'add', '10.250.0.1/24', 'dev', bridge]);
  await sh('ip', ['link', 'set', 'dev', bridge, 'up']);
  await mkdir(root, { recursive: true });
  const mounted = (await sh('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', root])) === 0;
  await mkdir(`${root}/docker-config`, { recursive: true });
  await writeFile(`${root}/daemon.json`, '{}');
  const fd = openSync(`${root}/dockerd.log`, 'a');
  const socket = `${root}/docker.sock`;
  const child = spawn(
    dockerd,
    ['--data-root', `${root}/data`, '--exec-root', `${root}/exec`, '-H', `unix://${socket}`, '--pidfile', `${root}/docker.pid`,
      '--config-file', `${root}/daemon.json`, '--bridge', bridge, '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false'],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    for (const m of (await mountsUnder(root)).filter((p) => p !== root)) if ((await sh('umount', [m])) !== 0) await sh('umount', ['-l', m]);
    if (mounted && (await sh('umount', [root])) !== 0) await sh('umount', ['-l', root]);
    await rmdir(root).catch(() => rm(root, { recursive: true, force: true }));
    await sh('ip', ['link', 'delete', 'dev', bridge]);
  };
  const deadline = Date.now() + 60_000;
  while (!(existsSync(socket) && (await ping(socket)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('dockerd did not come up');
    }
    await sleep(100);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: `${root}/docker-config` };
  delete env.DOCKER_CONTEXT;
  const load = await runCli('docker', ['load'], { env, input: await busyboxTarball(), timeoutMs: 120_000 });
  if (load.code !== 0) {
    await stop();
    throw new Error(`docker load failed: ${load.stderr}`);
  }
  return { name: 'docker', env, stop };
}

async function startBerth(name: string, daemonJson: Record<string, unknown>): Promise<Engine> {
  const h = await startBerthd(`bench-net-${name.replace(/[^a-z]/g, '')}`, { daemonJson });
  await loadBusybox(h);
  return { name, env: h.env, stop: () => h.stop() };
}

async function publish(e: Engine, name: string, cmd: string): Promise<number> {
  const r = await runCli('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', cmd], { env: e.env, timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${e.name}: run failed: ${r.stderr}`);
  const port = await runCli('docker', ['port', name, '80/tcp'], { env: e.env });
  return Number(port.stdout.trim().split('\n')[0]?.split(':').pop());
}

/** Writes `bytes` to 127.0.0.1:port and resolves with the seconds until the peer closed. */
function transfer(port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    const t0 = performance.now();
    const sock = connect({ host: '127.0.0.1', port, allowHalfOpen: true }); // busybox nc half-closes at once (its stdin is empty)
    let left = bytes;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          sock.once('drain', pump);
          return;
        }
      }
      sock.end();
    };
    sock.on('connect', pump);
    sock.on('data', () => undefined);
    sock.on('error', reject);
    sock.on('close', () => (left > 0 ? reject(new Error('closed early')) : resolve((performance.now() - t0) / 1000)));
  });
}

async function throughput(e: Engine): Promise<number> {
  const port = await publish(e, 'bench-sink', 'while true; do nc -l -p 80 > /dev/null; done');
  await sleep(1000);
  await transfer(port, 1024 * 1024).catch(() => undefined); // warm-up
  await sleep(300);
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    const secs = await transfer(port, totalMb * 1024 * 1024);
    rates.push(totalMb / secs);
    await sleep(300); // the loop restarts nc
  }
  await runCli('docker', ['rm', '-f', 'bench-sink'], { env: e.env });
  return median(rates);
}

async function connectionRate(e: Engine): Promise<number> {
  const port = await publish(e, 'bench-httpd', 'echo ok > /tmp/index.html; exec httpd -f -p 80 -h /tmp');
  await sleep(1000);
  const agent = new Agent({ keepAlive: false, maxSockets: 4 });
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent, headers: { Connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
  for (let i = 0; i < 20; i++) await get(); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < conns) {
          next++;
          await get();
        }
      }),
    );
    rates.push(conns / ((performance.now() - t0) / 1000));
  }
  agent.destroy();
  await runCli('docker', ['rm', '-f', 'bench-httpd'], { env: e.env });
  return median(rates);
}

async function main(): Promise<void> {
  const rows: Array<{ name: string; mbps: number; cps: number }> = [];
  for (const start of [
    () => startBerth('berth', {}),
    () => startBerth('berth-kernel', { 'userland-proxy': false }),
    () => startDockerd(),
  ]) {
    const e = await start();
    if (!e) {
      process.stdout.write('docker: no dockerd installed (see bench/REFERENCE-DOCKER.md), skipped\n');
      continue;
    }
    try {
      rows.push({ name: e.name, mbps: await throughput(e), cps: await connectionRate(e) });
    } finally {
      await e.stop();
    }
  }
  const docker = rows.find((r) => r.name === 'docker');
  process.stdout.write(`published port from 127.0.0.1, median of ${runs}: ${totalMb} MB transfer; ${conns} HTTP connections, 4 at a time\n`);
  for (const r of rows) {
    const ratio = docker ? `   vs docker: ${(r.mbps / docker.mbps).toFixed(2)}x / ${(r.cps / docker.cps).toFixed(2)}x` : '';
    process.stdout.write(`${r.name.padEnd(13)} ${r.mbps.toFixed(0).padStart(6)} MB/s ${r.cps.toFixed(0).padStart(7)} conn/s${ratio}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
