/**
 * A fuzzer over the Engine API's JSON bodies and query strings. Requests are
 * valid templates mutated by a seeded PRNG (type confusion, huge and negative
 * numbers, long and odd strings, deleted and unknown fields, truncated JSON,
 * random bytes). Each answer must come within a timeout and be < 500, the
 * daemon must keep answering /_ping, and whatever the fuzz created is removed
 * afterwards through the API; then nothing may be left (containers, mounts,
 * temp files, conmon processes, descriptors).
 */
import assert from 'node:assert/strict';
import { readdir, readlink } from 'node:fs/promises';
import { ping, type BerthdHarness } from '../helpers/berthd-harness.js';
import { api, prng, snapshot, type ApiReply } from './hostile-lib.js';

export interface FuzzOptions {
  readonly seed: number;
  /** Stop after this many cases … */
  readonly maxCases: number;
  /** … or after this long, whichever comes first. */
  readonly maxMs: number;
  readonly requestTimeoutMs?: number;
}

export interface FuzzFailure {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly status: number;
  readonly reply: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly tried: number;
  /** 4xx answers (the request was refused with an error). */
  readonly rejected: number;
  readonly accepted: number;
  readonly failures: FuzzFailure[];
  readonly hangs: FuzzFailure[];
}

/**
 * 500 answers that are deliberate and Docker-compatible (Docker answers 500
 * for these too). Matched against the reply's message.
 */
export const allowed500: readonly { readonly path: RegExp; readonly message: RegExp }[] = [];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Template {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: Json;
}

/**
 * Valid requests; `{cid}` is the fuzz's base container, `{image}` busybox.
 * /auth and /images/search are left out: mutated, they would reach Docker Hub.
 */
function templates(): Template[] {
  return [
    {
      method: 'POST',
      path: '/containers/create',
      query: { name: 'fz' },
      body: {
        Image: 'busybox',
        Cmd: ['true'],
        Env: ['A=1'],
        Labels: { a: 'b' },
        ExposedPorts: { '80/tcp': {} },
        WorkingDir: '/tmp',
        User: '0:0',
        StopSignal: 'SIGTERM',
        StopTimeout: 1,
        Healthcheck: { Test: ['CMD', 'true'], Interval: 1000000000, Retries: 1 },
        HostConfig: {
          Memory: 67108864,
          CpuShares: 512,
          NanoCpus: 500000000,
          PidsLimit: 100,
          CapAdd: ['NET_ADMIN'],
          CapDrop: ['MKNOD'],
          SecurityOpt: ['no-new-privileges'],
          Binds: ['fzvol:/data'],
          Tmpfs: { '/run': 'size=1m' },
          PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] },
          RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
          LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
          Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
          Sysctls: { 'net.ipv4.ip_forward': '1' },
          Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n2', CgroupPermissions: 'rwm' }],
          Mounts: [{ Type: 'tmpfs', Target: '/mnt', TmpfsOptions: { SizeBytes: 1048576 } }],
          ExtraHosts: ['h:127.0.0.1'],
          Dns: ['127.0.0.1'],
          ShmSize: 1048576,
          ReadonlyRootfs: false,
          NetworkMode: 'bridge',
        },
        NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['x'] } } },
      },
    },
    { method: 'POST', path: '/containers/{cid}/update', body: { Memory: 134217728, CpuShares: 256, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } },
    { method: 'POST', path: '/containers/{cid}/exec', body: { Cmd: ['true'], AttachStdout: true, Env: ['X=1'], User: 'root', WorkingDir: '/', Privileged: false } },
    { method: 'POST', path: '/containers/{cid}/kill', query: { signal: 'SIGCONT' } },
    { method: 'POST', path: '/containers/{cid}/rename', query: { name: 'fzbase' } },
    { method: 'GET', path: '/containers/{cid}/json', query: { size: '1' } },
    { method: 'GET', path: '/containers/{cid}/logs', query: { stdout: '1', stderr: '1', tail: '10', timestamps: '1', since: '0', follow: '0' } },
    { method: 'GET', path: '/containers/{cid}/top', query: { ps_args: '-ef' } },
    { method: 'GET', path: '/containers/{cid}/stats', query: { stream: '0', 'one-shot': '1' } },
    { method: 'GET', path: '/containers/{cid}/archive', query: { path: '/etc/hostname' } },
    { method: 'HEAD', path: '/containers/{cid}/archive', query: { path: '/etc' } },
    { method: 'GET', path: '/containers/{cid}/changes' },
    { method: 'GET', path: '/containers/json', query: { all: '1', limit: '5', size: '1', filters: '{"status":["running"],"label":["a=b"],"name":["fz"]}' } },
    { method: 'GET', path: '/images/json', query: { all: '1', filters: '{"dangling":["true"],"reference":["busy*"]}', digests: '1' } },
    { method: 'GET', path: '/images/{image}/json' },
    { method: 'GET', path: '/images/{image}/history' },
    { method: 'POST', path: '/images/{image}/tag', query: { repo: 'fz/tagged', tag: 'v1' } },
    { method: 'POST', path: '/commit', query: { container: '{cid}', repo: 'fz/commit', tag: 'c1', comment: 'x', pause: '0' }, body: { Cmd: ['sh'], Labels: { c: 'd' } } },
    { method: 'POST', path: '/volumes/create', body: { Name: 'fzv', Driver: 'local', DriverOpts: {}, Labels: { v: '1' } } },
    { method: 'GET', path: '/volumes', query: { filters: '{"dangling":["true"],"name":["fz"]}' } },
    { method: 'POST', path: '/networks/create', body: { Name: 'fznet', Driver: 'bridge', Internal: false, Attachable: true, IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.0.0/24', Gateway: '10.213.0.1' }] }, Options: {}, Labels: { n: '1' } } },
    { method: 'GET', path: '/networks', query: { filters: '{"driver":["bridge"],"name":["fz"]}' } },
    { method: 'POST', path: '/networks/fznet/connect', body: { Container: '{cid}', EndpointConfig: { Aliases: ['a'], IPAMConfig: { IPv4Address: '10.213.0.9' } } } },
    { method: 'POST', path: '/networks/fznet/disconnect', body: { Container: '{cid}', Force: true } },
    { method: 'GET', path: '/events', query: { since: '0', until: '1', filters: '{"type":["container"]}' } },
    { method: 'GET', path: '/system/df', query: { type: 'container' } },
    { method: 'GET', path: '/info' },
    { method: 'GET', path: '/version' },
    { method: 'POST', path: '/containers/prune', query: { filters: '{"label":["fuzz-none"]}' } },
    { method: 'POST', path: '/images/prune', query: { filters: '{"dangling":["true"],"label":["fuzz-none"]}' } },
    { method: 'POST', path: '/volumes/prune', query: { filters: '{"label":["fuzz-none"]}' } },
    { method: 'POST', path: '/networks/prune', query: { filters: '{"label":["fuzz-none"]}' } },
    { method: 'POST', path: '/build/prune', query: { filters: '{"until":["1h"]}' } },
    { method: 'DELETE', path: '/containers/fz-missing', query: { force: '1', v: '1' } },
    { method: 'DELETE', path: '/images/fz/tagged:v1', query: { force: '0', noprune: '1' } },
  ];
}

/** Paths that block by design (streams, waits) are not in the templates; mutations must not reach them either. */
const blocking = /\/(wait|attach|attach\/ws)$|\/events$|\/logs$|\/stats$/;

export async function fuzzApi(h: BerthdHarness, cid: string, opts: FuzzOptions): Promise<FuzzReport> {
  const rnd = prng(opts.seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const oddStrings = ['', ' ', '..', '../../etc/passwd', '/', '%00', '\u0000', 'a'.repeat(5000), '😀', '\n', '-1', '9999999999999999999', 'null', '{}', '[]', 'true', 'ALL', 'host', 'container:x', 'SIGKILL', '*', ':', 'a=b=c', '${HOME}', '\\'];
  const oddValue = (): Json => {
    switch (int(10)) {
      case 0: return null;
      case 1: return pick([true, false]);
      case 2: return pick([0, -1, 1, 2 ** 31, -(2 ** 31), 2 ** 53, 1e308, -1e308, 0.5, -0.0001]);
      case 3: return pick(oddStrings);
      case 4: return [pick(oddStrings), int(100)];
      case 5: return { [pick(oddStrings) || 'k']: pick(oddStrings) };
      case 6: return Array.from({ length: 3 }, () => ({}));
      case 7: return 'x'.repeat(int(3) === 0 ? 70_000 : 40);
      case 8: return int(2 ** 31);
      default: return {};
    }
  };
  const mutate = (v: Json, depth: number): Json => {
    if (v === null || typeof v !== 'object') return int(3) === 0 ? oddValue() : v;
    if (Array.isArray(v)) {
      const out = v.map((x) => (int(4) === 0 ? mutate(x, depth + 1) : x));
      if (int(6) === 0) out.push(oddValue());
      return int(12) === 0 ? oddValue() : out;
    }
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      const r = int(10);
      if (r === 0) continue; // delete
      out[k] = r <= 2 ? (int(2) === 0 ? oddValue() : mutate(x, depth + 1)) : x;
    }
    if (int(6) === 0) out[pick(oddStrings) || 'Unknown'] = oddValue();
    return depth > 0 && int(15) === 0 ? oddValue() : out;
  };
  const bodyText = (t: Template): string | undefined => {
    const r = int(20);
    if (r === 0) return Buffer.from(Array.from({ length: int(200) }, () => int(256))).toString('latin1');
    if (r === 1 && t.body !== undefined) return JSON.stringify(t.body).slice(0, int(JSON.stringify(t.body).length));
    if (r === 2) return JSON.stringify(oddValue());
    if (t.body === undefined) return r === 3 ? '{}' : undefined;
    return JSON.stringify(r < 6 ? t.body : mutate(t.body, 0)).replaceAll('{cid}', cid);
  };
  const queryText = (t: Template): string => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(t.query ?? {})) {
      const r = int(8);
      if (r === 0) continue;
      const value = v.replace('{cid}', cid);
      q.append(k, r === 1 ? String(oddValue()) : r === 2 ? JSON.stringify(oddValue()) : value);
    }
    if (int(8) === 0) q.append(pick(['filters', 'all', 'force', 't', 'signal', 'name', 'tail', 'since', 'v']), pick(oddStrings));
    const s = q.toString();
    return s === '' ? '' : `?${s}`;
  };

  const all = templates();
  const report = { seed: opts.seed, tried: 0, rejected: 0, accepted: 0, failures: [] as FuzzFailure[], hangs: [] as FuzzFailure[] };
  const deadline = Date.now() + opts.maxMs;
  const recent: FuzzFailure[] = [];
  while (report.tried < opts.maxCases && Date.now() < deadline) {
    const t = pick(all);
    let path = t.path.replace('{cid}', int(10) === 0 ? encodeURIComponent(pick(oddStrings)) || 'x' : cid).replace('{image}', int(10) === 0 ? encodeURIComponent(pick(oddStrings)) || 'x' : 'busybox');
    if (int(30) === 0) path = path.replace(/[a-z]+$/, pick(['json', 'start', 'x', '..', '%2e%2e']));
    if (blocking.test(path) && !t.query) continue;
    let q = queryText(t);
    if (blocking.test(path)) {
      // Streams that never end by design (Docker's too) are made finite; the other parameters stay fuzzed.
      const p = new URLSearchParams(q.slice(1));
      if (/\/events$/.test(path)) p.set('until', '1');
      if (/\/stats$/.test(path)) p.set('stream', '0');
      if (/\/logs$/.test(path)) p.set('follow', '0');
      if (/\/(wait|attach|attach\/ws)$/.test(path)) continue;
      q = `?${p.toString()}`;
    }
    const body = bodyText(t);
    const method = int(40) === 0 ? pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) : t.method;
    if (blocking.test(path) && method !== t.method) continue;
    const r: ApiReply = await api(h, method, `/v1.47${path}${q}`, body, { timeoutMs: opts.requestTimeoutMs ?? 15_000 });
    if (r.status === 0 && r.body.startsWith('client refused')) continue;
    report.tried++;
    const entry = { method, path: `${path}${q}`.slice(0, 400), body: (body ?? '').slice(0, 400), status: r.status, reply: r.body.slice(0, 300) };
    recent.push(entry);
    if (recent.length > 50) recent.shift();
    if (r.status === 0 && !(await ping(h.socket, 5_000))) {
      assert.fail(`daemon crashed at case ${report.tried} (seed ${opts.seed}); recent requests:\n${recent.map((e) => JSON.stringify(e)).join('\n')}`);
    }
    // Headers over the daemon's 16 KiB limit get a 431 and a closed socket; the client may only see the reset (or, through the
    // test harness's validating relay, the close that follows it).
    const oversized = Buffer.byteLength(`${path}${q}`) > 16 * 1024 && r.status === 0 && !r.timedOut && /ECONNRESET|EPIPE|socket hang up/.test(r.body);
    if (oversized || r.status === 431) report.rejected++;
    else if (r.timedOut) report.hangs.push(entry);
    else if (r.status >= 500 || r.status === 0) {
      if (!allowed500.some((a) => a.path.test(path) && a.message.test(r.body))) report.failures.push(entry);
      else report.rejected++;
    } else if (r.status >= 400) report.rejected++;
    else report.accepted++;
    if (report.tried % 50 === 0) assert.ok(await ping(h.socket, 5_000), `daemon stopped answering after case ${report.tried} (seed ${opts.seed}): ${JSON.stringify(entry)}`);
  }
  assert.ok(await ping(h.socket, 5_000), `daemon stopped answering (seed ${opts.seed})`);
  return report;
}

/** Removes everything the fuzz (and its base container) may have created: containers, images and tags but busybox:latest, volumes, networks. */
export async function cleanupFuzz(h: BerthdHarness): Promise<void> {
  const containers = JSON.parse((await api(h, 'GET', '/containers/json?all=1')).body) as { Id: string }[];
  for (const c of containers) await api(h, 'DELETE', `/containers/${c.Id}?force=1&v=1`, undefined, { timeoutMs: 60_000 });
  const images = JSON.parse((await api(h, 'GET', '/images/json?all=1')).body) as { Id: string; RepoTags: string[] }[];
  for (const i of images) {
    if (!i.RepoTags.includes('busybox:latest')) await api(h, 'DELETE', `/images/${i.Id}?force=1`);
    else for (const t of i.RepoTags) if (t !== 'busybox:latest') await api(h, 'DELETE', `/images/${encodeURIComponent(t)}`);
  }
  const volumes = (JSON.parse((await api(h, 'GET', '/volumes')).body) as { Volumes: { Name: string }[] | null }).Volumes ?? [];
  for (const v of volumes) await api(h, 'DELETE', `/volumes/${encodeURIComponent(v.Name)}?force=1`);
  const networks = JSON.parse((await api(h, 'GET', '/networks')).body) as { Id: string; Name: string }[];
  for (const n of networks) if (!['bridge', 'host', 'none'].includes(n.Name)) await api(h, 'DELETE', `/networks/${n.Id}`);
}

/** Resource counts that must be the same before and after a fuzz run (after cleanupFuzz). */
export async function resourceCounts(h: BerthdHarness): Promise<Record<string, unknown>> {
  const snap = await snapshot(h);
  let conmons = 0;
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const exe = await readlink(`/proc/${p}/exe`).catch(() => '');
    if (!exe.endsWith('/conmon')) continue;
    const cmd = await import('node:fs/promises').then((fs) => fs.readFile(`/proc/${p}/cmdline`, 'utf8')).catch(() => '');
    if (cmd.includes(h.root)) conmons++;
  }
  const volumes = await readdir(`${h.dataRoot}/volumes`).catch(() => [] as string[]);
  return { ...snap, conmons, volumes: volumes.sort() };
}

/** Open descriptors of the daemon. */
export async function daemonFds(h: BerthdHarness): Promise<number> {
  return h.pid === undefined ? 0 : (await readdir(`/proc/${h.pid}/fd`).catch(() => [])).length;
}

export function formatReport(r: FuzzReport): string {
  const lines = [`# api fuzz (seed ${r.seed}): ${r.tried} cases tried, ${r.rejected} rejected cleanly (4xx), ${r.accepted} accepted, ${r.failures.length} 5xx, ${r.hangs.length} hangs`];
  for (const f of [...r.failures, ...r.hangs].slice(0, 20)) lines.push(`#   ${f.status} ${f.method} ${f.path} body=${JSON.stringify(f.body)} → ${f.reply}`);
  return `${lines.join('\n')}\n`;
}
