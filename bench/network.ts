/**
 * `node dist/bench/network.js`: published-port throughput and connection rate,
 * Berth beside Docker on the same host, same client, same busybox image.
 *
 * - throughput: a Node client writes 200 MB to 127.0.0.1:<hostport>, published
 *   with `-p 127.0.0.1::80` from a busybox `nc -l -p 80 > /dev/null`;
 *   time from connect until the container's nc closes after EOF.
 * - connection rate: HTTP GETs (one connection each, 4 at a time) to a busybox
 *   httpd published the same way; also to the container's own address (no
 *   published-port path at all), which shows what the engine's container
 *   itself allows on this host.
 *
 * Engines: berthd (default: its userland proxy native/build/berth-proxy serves loopback, as docker-proxy in Docker),
 * berthd with daemon.json "userland-proxy": false (kernel DNAT from loopback),
 * and, when Debian's docker.io is installed, a reference dockerd on its own
 * tmpfs root and socket, on a bridge this script creates (10.204.250.1/24) with
 * --iptables=false --ip-forward=false --ip-masq=false: it writes no iptables
 * rule at all (loopback traffic goes through docker-proxy, which is Docker's
 * loopback path with its default userland-proxy anyway). The bridge and the
 * tmpfs are removed afterwards. Traffic only to 127.0.0.1.
 * Then the proxies alone (berth-proxy, docker-proxy, Berth's in-process
 * fallback) against the same containers of Berth's, which tells the proxy's
 * share apart from the rest of each engine on a busy host.
 * Environment: BENCH_NET_MB (default 200), BENCH_NET_CONNS (default 1000), BENCH_NET_RUNS (default 5).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { request, Agent } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { busyboxTarball, loadBusybox, mountsUnder, ping, runCli, startBerthd } from '../test/helpers/berthd-harness.js';

const totalMb = Number(process.env.BENCH_NET_MB ?? 200);
const conns = Number(process.env.BENCH_NET_CONNS ?? 1000);
const runs = Number(process.env.BENCH_NET_RUNS ?? 5);
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
  await sh('ip', ['addr', 'add', '10.204.250.1/24', 'dev', bridge]);
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

/** The published sink (nc) and httpd of one engine, with their host ports. */
interface Targets {
  readonly sink: number;
  readonly httpd: number;
  /** The httpd container's own address: the same GETs without any published-port path, to tell the proxy's cost from the container's. */
  readonly httpdIp: string;
  readonly sinkIp: string;
}

async function publishTargets(e: Engine): Promise<Targets> {
  const sink = await publish(e, 'bench-sink', 'while true; do nc -l -p 80 > /dev/null; done');
  const httpd = await publish(e, 'bench-httpd', 'echo ok > /tmp/index.html; exec httpd -f -p 80 -h /tmp');
  const ipOf = async (name: string): Promise<string> => (await runCli('docker', ['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name], { env: e.env })).stdout.trim();
  const httpdIp = await ipOf('bench-httpd');
  const sinkIp = await ipOf('bench-sink');
  await sleep(1000);
  await transfer(sink, 1024 * 1024).catch(() => undefined); // warm-up
  await sleep(300);
  return { sink, httpd, httpdIp, sinkIp };
}

async function throughputOnce(t: Targets): Promise<number> {
  const secs = await transfer(t.sink, totalMb * 1024 * 1024);
  await sleep(300); // the loop restarts nc
  return totalMb / secs;
}

function httpGetter(host: string, port: number): { get: () => Promise<void>; close: () => void } {
  const agent = new Agent({ keepAlive: false, maxSockets: 4 });
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request({ host, port, path: '/', agent, headers: { Connection: 'close' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => agent.destroy() };
}

async function connectionRateOnce(host: string, port: number): Promise<number> {
  const { get, close } = httpGetter(host, port);
  for (let i = 0; i < 20; i++) await get(); // warm-up
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
  close();
  return conns / ((performance.now() - t0) / 1000);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * The proxies alone, against the same two containers (Berth's): berth-proxy,
 * Docker's docker-proxy binary, and Berth's in-process fallback (in a Node
 * process of its own). Alternating run by run; with the engine rows above,
 * this separates the proxy from everything else an engine does.
 */
/** User + system CPU seconds a process has used so far (clock ticks at USER_HZ 100). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid ?? 0}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? NaN) + Number(fields[12] ?? NaN)) / 100;
}

async function proxiesOnly(t: Targets): Promise<Array<{ name: string; mbps: number; cps: number; cpuPerGb: number }>> {
  const kinds: Array<{ name: string; argv: (port: number, ip: string) => string[] }> = [];
  const native = fileURLToPath(new URL('../../native/build/berth-proxy', import.meta.url));
  const flags = (port: number, ip: string): string[] => ['-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', String(port), '-container-ip', ip, '-container-port', '80'];
  if (existsSync(native)) kinds.push({ name: 'berth-proxy', argv: (port, ip) => [native, ...flags(port, ip)] });
  if (existsSync('/usr/sbin/docker-proxy')) kinds.push({ name: 'docker-proxy', argv: (port, ip) => ['/usr/sbin/docker-proxy', ...flags(port, ip)] });
  const module = fileURLToPath(new URL('../src/network/port-proxy.js', import.meta.url));
  kinds.push({
    name: 'node (fallback)',
    argv: (port, ip) => [process.execPath, '--input-type=module', '-e',
      `import(${JSON.stringify(module)}).then((m) => m.startPortProxy({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: ${port}, containerIp: '${ip}', containerPort: 80 }, { native: false })); setInterval(() => undefined, 60000);`],
  });
  const children: ChildProcess[] = [];
  try {
    const started: Array<{ name: string; targets: Targets; mbps: number[]; cps: number[]; sinkPid: number | undefined; cpu: number }> = [];
    for (const k of kinds) {
      const ports = { sink: await freePort(), httpd: await freePort() };
      const pids: Array<number | undefined> = [];
      for (const [port, ip] of [[ports.sink, t.sinkIp], [ports.httpd, t.httpdIp]] as const) {
        const [cmd = '', ...args] = k.argv(port, ip);
        // fd 3: the readiness pipe both proxies write to.
        const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
        children.push(child);
        pids.push(child.pid);
      }
      started.push({ name: k.name, targets: { ...t, ...ports }, mbps: [], cps: [], sinkPid: pids[0], cpu: 0 });
    }
    await sleep(1500);
    for (let r = 0; r < runs; r++) {
      for (const x of rotate(started, r)) {
        const cpu0 = await cpuSeconds(x.sinkPid);
        x.mbps.push(await throughputOnce(x.targets));
        x.cpu += (await cpuSeconds(x.sinkPid)) - cpu0;
      }
    }
    for (let r = 0; r < runs; r++) for (const x of rotate(started, r)) x.cps.push(await connectionRateOnce('127.0.0.1', x.targets.httpd));
    // CPU the proxy spent per GB moved: what the load of the host does not blur as much as wall time.
    return started.map((x) => ({ name: x.name, mbps: median(x.mbps), cps: median(x.cps), cpuPerGb: x.cpu / ((runs * totalMb) / 1024) }));
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

/** The list started at a different element each run, so none always goes first. */
function rotate<T>(xs: readonly T[], r: number): T[] {
  const k = xs.length === 0 ? 0 : r % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

/**
 * All engines run at once and the measurements alternate between them, run
 * by run: on a loaded host the noise then falls on every engine alike.
 */
async function main(): Promise<void> {
  const engines: Array<{ e: Engine; t: Targets; mbps: number[]; cps: number[]; direct: number[] }> = [];
  let proxyRows: Array<{ name: string; mbps: number; cps: number; cpuPerGb: number }> = [];
  try {
    for (const start of [() => startBerth('berth', {}), () => startBerth('berth-kernel', { 'userland-proxy': false }), () => startDockerd()]) {
      const e = await start();
      if (!e) {
        process.stdout.write('docker: no dockerd installed (see bench/REFERENCE-DOCKER.md), skipped\n');
        continue;
      }
      engines.push({ e, t: { sink: 0, httpd: 0, httpdIp: '', sinkIp: '' }, mbps: [], cps: [], direct: [] });
      const last = engines[engines.length - 1];
      if (last) last.t = await publishTargets(e);
    }
    for (let r = 0; r < runs; r++) for (const x of rotate(engines, r)) x.mbps.push(await throughputOnce(x.t));
    for (let r = 0; r < runs; r++) {
      for (const x of rotate(engines, r)) {
        x.cps.push(await connectionRateOnce('127.0.0.1', x.t.httpd));
        x.direct.push(await connectionRateOnce(x.t.httpdIp, 80));
      }
    }
    const berth = engines.find((x) => x.e.name === 'berth');
    if (berth) proxyRows = await proxiesOnly(berth.t);
  } finally {
    for (const x of engines) {
      await runCli('docker', ['rm', '-f', 'bench-sink', 'bench-httpd'], { env: x.e.env });
      await x.e.stop();
    }
  }
  const rows = engines.map((x) => ({ name: x.e.name, mbps: median(x.mbps), cps: median(x.cps), direct: median(x.direct) }));
  const docker = rows.find((r) => r.name === 'docker');
  process.stdout.write(`published port from 127.0.0.1, median of ${runs} (engines alternating): ${totalMb} MB transfer; ${conns} HTTP connections, 4 at a time\n`);
  for (const r of rows) {
    const ratio = docker ? `   vs docker: ${(r.mbps / docker.mbps).toFixed(2)}x / ${(r.cps / docker.cps).toFixed(2)}x` : '';
    process.stdout.write(`${r.name.padEnd(13)} ${r.mbps.toFixed(0).padStart(6)} MB/s ${r.cps.toFixed(0).padStart(7)} conn/s${ratio}   (container IP directly: ${r.direct.toFixed(0)} conn/s)\n`);
  }
  const dockerProxy = proxyRows.find((r) => r.name === 'docker-proxy');
  if (proxyRows.length > 0) process.stdout.write(`the proxies alone, same containers, median of ${runs} (alternating):\n`);
  for (const r of proxyRows) {
    const ratio = dockerProxy ? `   vs docker-proxy: ${(r.mbps / dockerProxy.mbps).toFixed(2)}x / ${(r.cps / dockerProxy.cps).toFixed(2)}x` : '';
    process.stdout.write(`${r.name.padEnd(16)} ${r.mbps.toFixed(0).padStart(6)} MB/s ${r.cps.toFixed(0).padStart(7)} conn/s ${r.cpuPerGb.toFixed(2).padStart(6)} CPU s/GB${ratio}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
