/**
 * Real berthd processes for integration tests and benchmarks.
 *
 * Each harness owns one root: a tmpfs mounted at /tmp/berth-test-<name>-<rand>
 * (or, when mounting is impossible, a plain directory under /dev/shm) holding
 * the data root, exec root, socket, pidfile, daemon.json, the daemon's log and
 * a DOCKER_CONFIG directory. A unique bridge name keeps daemons apart.
 * Lifecycle: startBerthd() → (restart() | kill9() → restart())* → stop().
 * stop() is idempotent and leaves nothing behind: containers of the root are
 * deleted through the runtime, conmon processes killed, mounts under the root
 * unmounted deepest first, the bridge removed and the root deleted.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ResponseValidator } from './response-validator.js';
import { startValidatingProxy, type ValidatingProxy } from './validating-proxy.js';
import { swaggerMissingMessage } from './engine-swagger.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
/** The launcher users run (it sets the libuv pool size before the daemon loads). */
const daemonMain = `${repoRoot}/bin/berthd`;
const berthBin = `${repoRoot}/bin/berth`;
const busyboxScript = `${repoRoot}/scripts/images/busybox.sh`;
const busyboxCache = '/tmp/berth-busybox.tar';

export interface StartBerthdOptions {
  /** Contents of the daemon.json passed with --config-file; default {}. */
  readonly daemonJson?: Readonly<Record<string, unknown>>;
  /** Extra berthd flags, after the harness's own. */
  readonly args?: readonly string[];
  /** Bridge name (≤ 15 chars, or "none"); default bt<random4>. */
  readonly bridge?: string;
  /** How long to wait for /_ping; default 10 s. */
  readonly readyTimeoutMs?: number;
  /** Extra environment for the daemon. */
  readonly env?: Readonly<Record<string, string>>;
  /** Data root somewhere else than the tmpfs root (benchmarks on the real disk); the caller creates and removes it. */
  readonly dataRoot?: string;
  /** Flags for node itself, before the daemon script (`--cpu-prof` is not allowed in NODE_OPTIONS). */
  readonly nodeArgs?: readonly string[];
  /**
   * Check every JSON response against Docker's swagger for the request's API
   * version (test/helpers/response-validator.ts); stop() fails with the list of
   * responses that do not fit. Default true; off when ../shared is absent.
   */
  readonly validateResponses?: boolean;
}

export interface BerthdHarness {
  readonly name: string;
  readonly root: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  /** Where clients connect: the validating relay in front of the daemon (or the daemon's socket when validation is off). */
  readonly socket: string;
  /** The daemon's own socket, for tests about the socket itself or raw HTTP edge cases. */
  readonly daemonSocket: string;
  readonly dockerHost: string;
  readonly pidfile: string;
  readonly bridge: string;
  readonly configFile: string;
  readonly logFile: string;
  /** Environment for CLIs: DOCKER_HOST at this daemon, DOCKER_CONFIG in the root. */
  readonly env: NodeJS.ProcessEnv;
  /** The daemon's pid while it runs. */
  readonly pid: number | undefined;
  /** SIGTERM, wait, then remove everything the harness made. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the daemon only; containers and state stay for restart(). */
  kill9(): Promise<void>;
  /** Stops the daemon if it runs (SIGTERM, no cleanup) and starts it again on the same roots. */
  restart(): Promise<void>;
  /** The daemon's stderr/stdout so far. */
  logs(): Promise<string>;
  /** Whether loadBusybox() already ran against this harness. */
  busyboxLoaded: boolean;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunCliOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly input?: string | Buffer;
  /** Default 60 s; the CLI is SIGKILLed and the promise rejects when it passes. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, stdout, stderr: stderr || (err?.message ?? '') });
    });
  });
}

const safeName = (testName: string): string =>
  testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 20) || 'test';

/** Starts a berthd on its own tmpfs root and waits until it answers /_ping. */
export async function startBerthd(testName: string, opts: StartBerthdOptions = {}): Promise<BerthdHarness> {
  const name = safeName(testName);
  await cleanStale(name);
  const suffix = randomBytes(3).toString('hex');
  const { root, mounted } = await makeRoot(`berth-test-${name}-${suffix}`);
  const bridge = opts.bridge ?? `bt${randomBytes(2).toString('hex')}`;
  if (bridge.length > 15) throw new Error(`bridge name ${bridge} is longer than 15 characters`);
  const dataRoot = opts.dataRoot ?? `${root}/data`;
  const execRoot = `${root}/exec`;
  const daemonSocket = `${root}/berth.sock`;
  const pidfile = `${root}/berthd.pid`;
  const configFile = `${root}/daemon.json`;
  const logFile = `${root}/berthd.log`;
  const dockerConfig = `${root}/docker-config`;
  await mkdir(dockerConfig, { recursive: true });
  await writeFile(configFile, JSON.stringify(opts.daemonJson ?? {}));
  // Remembered for cleanStale() after a crashed run.
  await writeFile(`${root}/harness.json`, JSON.stringify({ execRoot, bridge, mounted, ownerPid: process.pid }));

  const argv = [
    daemonMain,
    '--data-root', dataRoot,
    '--exec-root', execRoot,
    '-H', `unix://${daemonSocket}`,
    '--pidfile', pidfile,
    '--bridge', bridge,
    '--config-file', configFile,
    ...(opts.args ?? []),
  ];
  const validator = opts.validateResponses === false ? undefined : loadValidatorOnce();
  const socket = validator ? `${root}/api.sock` : daemonSocket;
  let proxy: ValidatingProxy | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig };
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;

  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async (): Promise<void> => {
    const fd = openSync(logFile, 'a');
    try {
      child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...argv], { stdio: ['ignore', fd, fd], env: { ...process.env, ...opts.env } });
    } finally {
      closeSync(fd);
    }
    const started = child;
    live.add(started);
    started.once('exit', () => live.delete(started));
    try {
      await waitForPing(daemonSocket, started, opts.readyTimeoutMs ?? 10_000);
      if (validator && !proxy) proxy = await startValidatingProxy(socket, daemonSocket, validator);
    } catch (err) {
      started.kill('SIGKILL');
      await exited(started, 5_000);
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
      throw new Error(`berthd for ${testName} did not come up: ${(err as Error).message}\n--- berthd log ---\n${tail}`, { cause: err });
    }
  };

  const terminate = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    if (!(await exited(c, 30_000))) {
      c.kill('SIGKILL');
      await exited(c, 5_000);
    }
  };

  const h: BerthdHarness = {
    name,
    root,
    dataRoot,
    execRoot,
    socket,
    daemonSocket,
    dockerHost: `unix://${socket}`,
    pidfile,
    bridge,
    configFile,
    logFile,
    env,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    busyboxLoaded: false,
    async stop() {
      if (stopped) return;
      stopped = true;
      await proxy?.close();
      await terminate();
      await cleanupRoot(root, { execRoot, bridge, mounted });
      if (validator && validator.violations.length > 0) throw new Error(validator.report());
    },
    async kill9() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGKILL');
      await exited(c, 5_000);
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      await terminate();
      await launch();
    },
    logs: () => readFile(logFile, 'utf8').catch(() => ''),
  };

  try {
    await launch();
  } catch (err) {
    stopped = true;
    await proxy?.close();
    await cleanupRoot(root, { execRoot, bridge, mounted });
    throw err;
  }
  return h;
}

let validatorLoaded = false;
/** One validator per harness (violations are per daemon); the swagger is parsed once per process. */
function loadValidatorOnce(): ResponseValidator | undefined {
  const v = ResponseValidator.load();
  if (!v && !validatorLoaded) console.log(`# response validation off: ${swaggerMissingMessage}`);
  validatorLoaded = true;
  return v;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** GET /_ping over the unix socket; true on HTTP 200. */
export function ping(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitForPing(socket: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`berthd exited with ${child.exitCode ?? child.signalCode}`);
    }
    if (existsSync(socket) && (await ping(socket))) return;
    await sleep(50);
  }
  throw new Error(`no answer on ${socket}/_ping within ${timeoutMs} ms`);
}

async function makeRoot(dirName: string): Promise<{ root: string; mounted: boolean }> {
  const root = `/tmp/${dirName}`;
  await mkdir(root, { recursive: true });
  const m = await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', root]);
  if (m.code === 0) return { root, mounted: true };
  await rmdir(root).catch(() => undefined);
  const fallback = `/dev/shm/${dirName}`;
  await mkdir(fallback, { recursive: true, mode: 0o755 });
  return { root: fallback, mounted: false };
}

/** Mount points at or below `root`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(root: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`));
  return points.sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

async function processesUnder(root: string, comm: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if ((args[0] ?? '').split('/').pop() === comm && args.some((a) => a.startsWith(`${root}/`))) pids.push(Number(entry));
  }
  return pids;
}

const runtimeBinary = (name: string): string => (name === 'crun' ? 'crun' : name === 'runc' ? 'runc' : name);

interface RootFacts {
  readonly execRoot: string;
  readonly bridge: string;
  readonly mounted: boolean;
  /** The test process that started the daemon; a daemon it left running when it was killed is stale. */
  readonly ownerPid?: number;
}

async function cleanupRoot(root: string, facts: RootFacts): Promise<void> {
  // Containers first, through every runtime root the daemon made.
  for (const dir of await readdir(facts.execRoot).catch(() => [] as string[])) {
    if (!dir.startsWith('runtime-')) continue;
    const bin = runtimeBinary(dir.slice('runtime-'.length));
    const runtimeRoot = `${facts.execRoot}/${dir}`;
    const list = await run(bin, ['--root', runtimeRoot, 'list', '-q']);
    for (const id of list.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
      await run(bin, ['--root', runtimeRoot, 'delete', '-f', id]);
    }
  }
  // conmon leaves on its own once its container is gone; make sure.
  let conmons = await processesUnder(root, 'conmon');
  for (let i = 0; i < 20 && conmons.length > 0; i++) {
    await sleep(100);
    conmons = await processesUnder(root, 'conmon');
  }
  for (const pid of conmons) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (conmons.length > 0) await sleep(100);
  // Port proxies outlive a killed daemon (their argv names the exec root: -owner).
  const proxies = await processesUnder(root, 'berth-proxy');
  for (const pid of proxies) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (proxies.length > 0) await sleep(100);

  for (let attempt = 0; attempt < 100; attempt++) {
    const inner = (await mountsUnder(root)).filter((p) => p !== root);
    const target = inner[0];
    if (target === undefined) break;
    if ((await run('umount', [target])).code !== 0) await run('umount', ['-l', target]);
  }
  if (facts.bridge !== 'none' && /^bt[0-9a-f]{4}$/.test(facts.bridge)) {
    await run('ip', ['link', 'delete', facts.bridge]);
    await removeDaemonChains(facts.bridge);
    // The daemon's owner record of its bridge (src/daemon/host-ownership.ts), left when it was killed.
    await rm(`/run/lock/berth/bridge-${facts.bridge}.lock`, { force: true });
  }
  if (facts.mounted) {
    for (let i = 0; i < 10 && (await mountsUnder(root)).includes(root); i++) {
      if ((await run('umount', [root])).code !== 0) await run('umount', ['-l', root]);
    }
    await rmdir(root).catch(() => rm(root, { recursive: true, force: true }));
  } else {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * A daemon killed and never restarted leaves its own iptables and ip6tables chains
 * (BERTH-<bridge>, BERTH-POST-, BERTH-FWD-, BERTH-ISO1-, BERTH-ISO2-<bridge>): unhook and delete them.
 */
async function removeDaemonChains(bridge: string): Promise<void> {
  const chains = [`BERTH-${bridge}`, `BERTH-POST-${bridge}`, `BERTH-FWD-${bridge}`, `BERTH-ISO1-${bridge}`, `BERTH-ISO2-${bridge}`];
  // The same chains exist in ip6tables (for IPv6 networks).
  for (const ipt of ['iptables', 'ip6tables']) {
    for (const table of ['nat', 'filter']) {
      const rules = (await run(ipt, ['-w', '-t', table, '-S'])).stdout.split('\n');
      for (const rule of rules) {
        if (!rule.startsWith('-A ') || !chains.some((c) => rule.includes(`-j ${c}`))) continue;
        await run(ipt, ['-w', '-t', table, ...rule.replace(/^-A /, '-D ').split(' ')]);
      }
      for (const chain of chains) {
        if ((await run(ipt, ['-w', '-t', table, '-F', chain])).code === 0) await run(ipt, ['-w', '-t', table, '-X', chain]);
      }
    }
  }
}

/** Removes roots of earlier runs of the same test whose daemon is gone. */
async function cleanStale(name: string): Promise<void> {
  for (const base of ['/tmp', '/dev/shm']) {
    for (const entry of await readdir(base).catch(() => [] as string[])) {
      if (!new RegExp(`^berth-test-${name}-[0-9a-f]{6}$`).test(entry)) continue;
      const root = `${base}/${entry}`;
      const pid = Number((await readFile(`${root}/berthd.pid`, 'utf8').catch(() => '')).trim());
      const facts: RootFacts = await readFile(`${root}/harness.json`, 'utf8')
        .then((t) => JSON.parse(t) as RootFacts)
        .catch(() => ({ execRoot: `${root}/exec`, bridge: 'none', mounted: base === '/tmp' }));
      if (pid > 0 && isAlive(pid)) {
        // A daemon whose test process is gone (killed before its after-hook ran) is stopped here; one of a running test is left alone.
        if (facts.ownerPid === undefined || isAlive(facts.ownerPid)) continue;
        process.kill(pid, 'SIGKILL');
        for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
      }
      await cleanupRoot(root, facts);
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the docker CLI or berth CLI (node bin/berth) to completion. */
export function runCli(bin: 'docker' | 'berth', args: readonly string[], opts: RunCliOptions): Promise<CliResult> {
  const [cmd, argv] = bin === 'berth' ? [process.execPath, [berthBin, ...args]] : ['docker', [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${bin} ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${Buffer.concat(out).toString()}\nstderr: ${Buffer.concat(err).toString()}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + signalNumber(signal) : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    // A CLI that exits before reading all input is not an error of the harness.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input);
  });
}

const signalNumber = (signal: NodeJS.Signals): number => ({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 })[signal as string] ?? 0;

/** The busybox image tarball (scripts/images/busybox.sh output), built once per test run. */
export async function busyboxTarball(): Promise<Buffer> {
  const cached = await readFile(busyboxCache).catch(() => undefined);
  if (cached !== undefined && cached.length > 0) return cached;
  const r = await new Promise<{ code: number; stdout: Buffer; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', [busyboxScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
  if (r.code !== 0 || r.stdout.length === 0) throw new Error(`scripts/images/busybox.sh failed (${r.code}): ${r.stderr}`);
  const tmp = `${busyboxCache}.${process.pid}.tmp`;
  await writeFile(tmp, r.stdout);
  await rename(tmp, busyboxCache);
  return r.stdout;
}

/** Loads the busybox image into the harness's daemon with `berth load`, once per harness. */
export async function loadBusybox(h: BerthdHarness): Promise<void> {
  if (h.busyboxLoaded) return;
  const tar = await busyboxTarball();
  const r = await runCli('berth', ['load'], { env: h.env, input: tar, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`berth load failed (${r.code}): ${r.stderr}${r.stdout}`);
  h.busyboxLoaded = true;
}
