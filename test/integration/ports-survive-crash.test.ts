import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { eventually, host, httpGet, proxiesTo } from '../helpers/network-daemon.js';
import { cgroupParentFor } from '../../src/engine/containers/cgroup-parent.js';

// Published ports keep answering while berthd is SIGKILLed, absent and restarted (issue 18, item 1):
// loopback through the berth-proxy that outlives the daemon, another host address through DNAT.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ip(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile('ip', args, (err, _out, stderr) => (err ? reject(new Error(`ip ${args.join(' ')}: ${stderr}`)) : resolve())));
}

/** One GET on a fresh connection; true when the body is the expected one. */
function probe(hostname: string, port: number, body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: hostname, port, path: '/', timeout: 2_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(res.statusCode === 200 && Buffer.concat(chunks).toString() === body));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A steady request loop against one address until stop(); records every failure with its time. */
function requestLoop(hostname: string, port: number, body: string): { stop: () => Promise<{ ok: number; failed: number[] }> } {
  let running = true;
  let ok = 0;
  const failed: number[] = [];
  const done = (async () => {
    while (running) {
      if (await probe(hostname, port, body)) ok++;
      else failed.push(Date.now());
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { ok, failed };
    },
  };
}

async function proxyRecords(h: BerthdHarness): Promise<string[]> {
  return (await readdir(`${h.execRoot}/port-proxies`).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));
}

/** berth-proxy processes whose argv names a path under the harness root (their -owner). */
async function proxiesOfRoot(h: BerthdHarness): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (/^\S+ \(.*\) [ZX]/s.test(stat)) continue;
    if (argv[0]?.endsWith('/berth-proxy') && argv.some((a) => a.startsWith(`${h.root}/`))) out.push(Number(pid));
  }
  return out;
}

/** Packets counted by the DNAT rule of a published port in this daemon's nat chain. */
async function dnatPackets(h: BerthdHarness, port: number): Promise<number> {
  const out = await host('iptables', ['-w', '-t', 'nat', '-L', `BERTH-${h.bridge}`, '-v', '-n', '-x']);
  const line = out.split('\n').find((l) => l.includes('DNAT') && l.includes(`dpt:${port} `));
  return Number(line?.trim().split(/\s+/)[0] ?? 0);
}

describe('published ports across daemon crashes', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  // An interface of the test's with an address of the host that is not loopback: traffic to it takes the DNAT path.
  const dummy = `bpc${randomBytes(2).toString('hex')}`;
  const dummyIp = `198.18.${1 + (randomBytes(1)[0] ?? 0) % 250}.${1 + (randomBytes(1)[0] ?? 0) % 250}`;

  before(async () => {
    h = await startBerthd('ports-crash');
    await loadBusybox(h);
    // No dummy driver on every kernel (not on this VM): a veth pair, both ends on the host, does the same.
    await ip(['link', 'add', dummy, 'type', 'veth', 'peer', 'name', `${dummy}p`]);
    await ip(['addr', 'add', `${dummyIp}/32`, 'dev', dummy]);
    await ip(['link', 'set', dummy, 'up']);
    await ip(['link', 'set', `${dummy}p`, 'up']);
  });
  after(async () => {
    await host('ip', ['link', 'delete', dummy]);
    await h?.stop();
  });

  test('5 SIGKILLs under a steady request load: 0 failed requests on loopback and on another host address', async (t) => {
    const r = await docker(['run', '-d', '--name', 'web', '-p', '80', 'busybox', 'sh', '-c', 'echo served > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await docker(['port', 'web', '80/tcp'])).stdout.split('\n')[0]?.split(':').pop());
    assert.ok(port > 0);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web'])).stdout.trim();
    assert.equal(await eventually(() => httpGet('127.0.0.1', port)), 'served\n');
    assert.equal(await eventually(() => httpGet(dummyIp, port)), 'served\n');
    const proxies = (await proxiesTo(ip)).sort();
    assert.ok(proxies.length >= 1);

    const loops = [requestLoop('127.0.0.1', port, 'served\n'), requestLoop(dummyIp, port, 'served\n')];
    let dnatWhileDown = 0;
    for (let i = 0; i < 5; i++) {
      await h.kill9();
      const before = await dnatPackets(h, port);
      await sleep(2_000);
      dnatWhileDown += (await dnatPackets(h, port)) - before;
      assert.deepEqual((await proxiesTo(ip)).sort(), proxies, 'the proxies run while the daemon is down');
      await h.restart();
      await sleep(500);
      assert.deepEqual((await proxiesTo(ip)).sort(), proxies, 'the same proxies are re-adopted, not replaced');
    }
    const [lo, other] = await Promise.all(loops.map((l) => l.stop()));
    assert.ok(lo && other);
    t.diagnostic(`answered: ${lo.ok} on loopback (${lo.failed.length} failed), ${other.ok} on ${dummyIp} (${other.failed.length} failed); DNAT packets while down: ${dnatWhileDown}`);
    assert.deepEqual(lo.failed, [], `loopback: ${lo.failed.length} of ${lo.ok + lo.failed.length} requests failed`);
    assert.deepEqual(other.failed, [], `${dummyIp}: ${other.failed.length} of ${other.ok + other.failed.length} requests failed`);
    assert.ok(lo.ok > 50 && other.ok > 50, `requests answered: ${lo.ok} on loopback, ${other.ok} on ${dummyIp}`);
    assert.ok(dnatWhileDown > 0, 'the DNAT rule served the other host address while the daemon was down');
    assert.equal((await proxyRecords(h)).length, proxies.length, 'one record per proxy');

    const rm = await docker(['rm', '-f', 'web']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(await proxiesTo(ip), [], 'no proxy left after rm -f');
    assert.deepEqual(await proxyRecords(h), [], 'no record left after rm -f');
  });

  test('a container that exited while the daemon was down: its proxy is ended at the next start', async () => {
    const r = await docker(['run', '-d', '--name', 'gone', '-p', '127.0.0.1::80', 'busybox', 'httpd', '-f', '-p', '80']);
    assert.equal(r.code, 0, r.stderr);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'gone'])).stdout.trim();
    const pid = Number((await docker(['inspect', '-f', '{{.State.Pid}}', 'gone'])).stdout.trim());
    const port = Number((await docker(['port', 'gone', '80/tcp'])).stdout.trim().split(':').pop());
    assert.equal((await proxiesTo(ip)).length, 1);
    await h.kill9();
    process.kill(pid, 'SIGKILL');
    // As if the daemon had died between starting a proxy and recording it: a berth-proxy of this daemon without a record.
    const stray = spawn(`${repoRoot}/native/build/berth-proxy`, ['-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', '0', '-container-ip', '127.0.0.1', '-container-port', '9', '-owner', h.execRoot], { stdio: 'ignore', detached: true });
    stray.unref();
    await sleep(500);
    assert.equal((await proxiesTo(ip)).length, 1, 'the proxy outlives both for now');
    assert.ok((await proxiesOfRoot(h)).includes(stray.pid ?? 0));
    await h.restart();
    assert.ok(!(await proxiesOfRoot(h)).includes(stray.pid ?? 0), 'an unrecorded proxy of this daemon is ended at start');
    assert.match((await docker(['inspect', '-f', '{{.State.Status}}', 'gone'])).stdout, /exited/);
    assert.deepEqual(await proxiesTo(ip), []);
    assert.deepEqual(await proxyRecords(h), []);
    // The port is free again: the same host port can be published anew.
    const again = await docker(['run', '-d', '--name', 'again', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await docker(['rm', '-f', 'again', 'gone'])).code, 0);
    assert.deepEqual(await proxyRecords(h), []);
  });

  test('a clean shutdown (no live-restore) stops the containers and ends their proxies', async () => {
    const r = await docker(['run', '-d', '--name', 'clean', '-p', '127.0.0.1::80', 'busybox', 'httpd', '-f', '-p', '80']);
    assert.equal(r.code, 0, r.stderr);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'clean'])).stdout.trim();
    assert.equal((await proxiesTo(ip)).length, 1);
    await h.restart();
    assert.deepEqual(await proxiesTo(ip), []);
    assert.deepEqual(await proxyRecords(h), []);
    assert.deepEqual(await proxiesOfRoot(h), []);
  });
});

describe('published ports across a clean restart with live-restore', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('ports-live', { daemonJson: { 'live-restore': true } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('SIGTERM keeps the container and its proxy: the port answers throughout, the proxy is re-adopted', async () => {
    const r = await docker(['run', '-d', '--name', 'live', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo live > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await docker(['port', 'live', '80/tcp'])).stdout.trim().split(':').pop());
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'live'])).stdout.trim();
    assert.equal(await eventually(() => httpGet('127.0.0.1', port)), 'live\n');
    const proxies = await proxiesTo(ip);
    const loop = requestLoop('127.0.0.1', port, 'live\n');
    await h.restart();
    await sleep(500);
    const { ok, failed } = await loop.stop();
    assert.deepEqual(failed, [], `${failed.length} of ${ok + failed.length} requests failed`);
    assert.deepEqual(await proxiesTo(ip), proxies);
    assert.equal((await docker(['rm', '-f', 'live'])).code, 0);
    assert.deepEqual(await proxiesTo(ip), []);
  });

  test('after stop no berth-proxy of this root is left', async () => {
    const r = await docker(['run', '-d', '--name', 'last', '-p', '127.0.0.1::80', 'busybox', 'httpd', '-f', '-p', '80']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await proxiesOfRoot(h)).length, 1);
    await h.kill9();
    await h.stop();
    assert.deepEqual(await proxiesOfRoot(h), []);
  });
});

const unified = '/sys/fs/cgroup/unified';
const hasV2 = existsSync(`${unified}/cgroup.procs`) || existsSync('/sys/fs/cgroup/cgroup.procs');

/** What a service manager does at stop (KillMode=control-group): SIGKILL every process of the cgroup. */
async function killCgroup(dir: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const pids = (await readFile(`${dir}/cgroup.procs`, 'utf8')).split('\n').filter(Boolean).map(Number);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(50);
  }
}

describe('a daemon in a cgroup of its own (as a service)', { skip: hasV2 ? false : 'no cgroup v2 hierarchy' }, () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const v2 = existsSync(`${unified}/cgroup.procs`) ? unified : '/sys/fs/cgroup';
  const service = `${v2}/berth-test-svc-${randomBytes(3).toString('hex')}`;

  before(async () => {
    h = await startBerthd('ports-cgroup');
    await loadBusybox(h);
    await mkdir(service);
    await writeFile(`${service}/cgroup.procs`, String(h.pid));
  });
  after(async () => {
    await h?.stop();
    const parent = `${v2}${cgroupParentFor(h.execRoot)}`;
    for (const dir of [`${parent}/port-proxies`, parent, service]) await rmdir(dir).catch(() => undefined);
  });

  test('its proxies leave that cgroup: killing every process in it spares the published port', async () => {
    const r = await docker(['run', '-d', '--name', 'svc', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo svc > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await docker(['port', 'svc', '80/tcp'])).stdout.trim().split(':').pop());
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'svc'])).stdout.trim();
    const [proxy] = await proxiesTo(ip);
    assert.ok(proxy !== undefined);
    const own = (await readFile(`/proc/${proxy}/cgroup`, 'utf8')).split('\n').find((l) => l.startsWith('0::'));
    assert.equal(own, `0::${cgroupParentFor(h.execRoot)}/port-proxies`);
    assert.equal(await eventually(() => httpGet('127.0.0.1', port)), 'svc\n');
    const loop = requestLoop('127.0.0.1', port, 'svc\n');
    await killCgroup(service);
    await sleep(1_500);
    const { ok, failed } = await loop.stop();
    assert.deepEqual(failed, [], `${failed.length} of ${ok + failed.length} requests failed while the service cgroup was killed`);
    assert.deepEqual(await proxiesTo(ip), [proxy]);
  });
});

describe('published ports across daemon crashes with userland-proxy: false (kernel path only)', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('ports-kernel', { daemonJson: { 'userland-proxy': false } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('3 SIGKILLs: loopback keeps answering through DNAT, also while the restarted daemon rebuilds its chains', async () => {
    const r = await docker(['run', '-d', '--name', 'kweb', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo kernel > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await docker(['port', 'kweb', '80/tcp'])).stdout.trim().split(':').pop());
    assert.equal(await eventually(() => httpGet('127.0.0.1', port)), 'kernel\n');
    const loop = requestLoop('127.0.0.1', port, 'kernel\n');
    for (let i = 0; i < 3; i++) {
      await h.kill9();
      await sleep(1_000);
      await h.restart();
      await sleep(300);
    }
    const { ok, failed } = await loop.stop();
    assert.deepEqual(failed, [], `${failed.length} of ${ok + failed.length} requests failed`);
    const nat = await host('iptables-save', ['-t', 'nat']);
    assert.doesNotMatch(nat, new RegExp(`BERTH-[A-Z0-9-]*${h.bridge}~`), "the previous run's chains are gone");
    assert.equal(nat.split('\n').filter((l) => l.includes(`--dport ${port} `) && l.includes('DNAT')).length, 1, 'one DNAT rule');
  });
});
