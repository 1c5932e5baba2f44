import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { eventually, host, httpGet, proxiesTo } from '../helpers/network-daemon.js';

/*
 * Dual-stack publishing, as Docker ≥ 20.10 on a host with IPv6: a port
 * published without a host address is bound on 0.0.0.0 and on [::] with the
 * same host port, and [::] reaches an IPv4-only container through the
 * userland proxy. 127.0.0.1 / [::1] stay single-family. Without the
 * userland proxy an IPv4-only container gets no IPv6 side.
 */

const hasIpv6 = existsSync('/proc/net/if_inet6');
const web = (text: string): string[] => ['busybox', 'sh', '-c', `echo ${text} > /tmp/index.html; exec httpd -f -p 80 -h /tmp`];

/** GET path on the daemon's unix socket, parsed as JSON. */
function apiGet(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as unknown));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A host port that is free on both 0.0.0.0 and [::] right now. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen({ host: '::', port: 0 }, r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const ip6DnatFor = async (port: number): Promise<boolean> => new RegExp(`--dport ${port} `).test(await host('ip6tables-save', ['-t', 'nat']));

for (const cli of ['docker', 'berth'] as const) {
  describe(`dual-stack publishing via ${cli}`, { skip: hasIpv6 ? false : 'the host has no IPv6' }, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const inspect = async (name: string, format: string): Promise<string> => (await run(['inspect', '-f', format, name])).stdout.trim();

    before(async () => {
      h = await startBerthd(`ds-dual-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('-p PORT:80 is published on 0.0.0.0 and [::]; [::1] reaches the IPv4-only container', async () => {
      const port = await freePort();
      const r = await run(['run', '-d', '--name', 'dual', '-p', `${port}:80`, ...web('dual-web')]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await inspect('dual', '{{json .NetworkSettings.Ports}}'), JSON.stringify({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }, { HostIp: '::', HostPort: String(port) }] }));
      assert.equal(await inspect('dual', '{{json .HostConfig.PortBindings}}'), JSON.stringify({ '80/tcp': [{ HostIp: '', HostPort: String(port) }] }));
      assert.equal((await run(['port', 'dual'])).stdout, `80/tcp -> 0.0.0.0:${port}\n80/tcp -> [::]:${port}\n`);
      assert.equal((await run(['ps', '--format', '{{.Ports}}', '--filter', 'name=dual'])).stdout.trim(), `0.0.0.0:${port}->80/tcp, [::]:${port}->80/tcp`);
      const list = (await apiGet(h.socket, '/containers/json?filters=' + encodeURIComponent(JSON.stringify({ name: ['dual'] })))) as Array<{ Ports: unknown }>;
      assert.deepEqual(list[0]?.Ports, [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp' },
        { IP: '::', PrivatePort: 80, PublicPort: port, Type: 'tcp' },
      ]);
      assert.equal(await eventually(() => httpGet('::1', port), 50), 'dual-web\n');
      assert.equal(await eventually(() => httpGet('127.0.0.1', port), 50), 'dual-web\n');
      const ip = await inspect('dual', '{{.NetworkSettings.IPAddress}}');
      assert.equal((await proxiesTo(ip)).length, 2, 'one proxy per family');
      assert.equal(await ip6DnatFor(port), false, 'no ip6tables DNAT towards an IPv4-only container');
    });

    test('random ports (-p 80, UDP, -P) take the same host port on both families', async () => {
      const r = await run(['run', '-d', '--name', 'rand', '-p', '80', '-p', '81/udp', '-P', '--expose', '82', ...web('rand-web')]);
      assert.equal(r.code, 0, r.stderr);
      const lines = (await run(['port', 'rand'])).stdout.trim().split('\n');
      const byKey = new Map<string, string[]>();
      for (const l of lines) {
        const m = /^(\d+\/\w+) -> (.*)$/.exec(l);
        assert.ok(m, l);
        byKey.set(m[1] ?? '', [...(byKey.get(m[1] ?? '') ?? []), m[2] ?? '']);
      }
      assert.deepEqual([...byKey.keys()].sort(), ['80/tcp', '81/udp', '82/tcp']);
      for (const [key, addrs] of byKey) {
        const m4 = /^0\.0\.0\.0:(\d+)$/.exec(addrs[0] ?? '');
        const m6 = /^\[::\]:(\d+)$/.exec(addrs[1] ?? '');
        assert.ok(m4 && m6 && addrs.length === 2, `${key}: ${addrs.join(' ')}`);
        assert.equal(m4[1], m6[1], `${key}: the same host port on both families`);
      }
      const p80 = Number(/:(\d+)$/.exec(byKey.get('80/tcp')?.[1] ?? '')?.[1]);
      assert.equal(await eventually(() => httpGet('::1', p80), 50), 'rand-web\n');
      const ip = await inspect('rand', '{{.NetworkSettings.IPAddress}}');
      assert.equal((await proxiesTo(ip)).length, 6);
    });

    test('127.0.0.1 stays IPv4 only, [::1] IPv6 only', async () => {
      const r4 = await run(['run', '-d', '--name', 'loop4', '-p', '127.0.0.1::80', ...web('loop4')]);
      assert.equal(r4.code, 0, r4.stderr);
      assert.match(await inspect('loop4', '{{json .NetworkSettings.Ports}}'), /^\{"80\/tcp":\[\{"HostIp":"127\.0\.0\.1","HostPort":"\d+"\}\]\}$/);
      const r6 = await run(['run', '-d', '--name', 'loop6', '-p', '[::1]::80', ...web('loop6')]);
      assert.equal(r6.code, 0, r6.stderr);
      const p6 = (await run(['port', 'loop6'])).stdout.trim();
      const m = /^80\/tcp -> \[::1\]:(\d+)$/.exec(p6);
      assert.ok(m, p6);
      assert.equal((await run(['ps', '--format', '{{.Ports}}', '--filter', 'name=loop6'])).stdout.trim(), `[::1]:${m[1]}->80/tcp`);
      assert.equal(await eventually(() => httpGet('::1', Number(m[1])), 50), 'loop6\n');
      assert.equal((await run(['rm', '-f', 'loop4', 'loop6'])).code, 0);
    });

    test('a port busy on [::] only fails the start with Docker’s message, and leaves nothing bound', async () => {
      const port = await freePort();
      const holder: Server = createServer();
      await new Promise<void>((r) => holder.listen({ host: '::', port, ipv6Only: true }, r));
      try {
        const r = await run(['run', '-d', '--name', 'busy6', '-p', `${port}:80`, 'busybox', 'sleep', '60']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, new RegExp(`Bind for \\[::\\]:${port} failed: port is already allocated`));
        // The IPv4 side was given back: the port can be bound on 0.0.0.0 again.
        const probe = createServer();
        await new Promise<void>((resolve, reject) => probe.once('error', reject).listen({ host: '0.0.0.0', port }, resolve));
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      } finally {
        await new Promise<void>((r) => holder.close(() => r()));
        await run(['rm', '-f', 'busy6']);
      }
    });

    test('after kill -9 and restart both families are published again', async () => {
      const port = Number(/:(\d+)$/.exec((await run(['port', 'dual', '80'])).stdout.trim().split('\n')[1] ?? '')?.[1]);
      const ip = await inspect('dual', '{{.NetworkSettings.IPAddress}}');
      const before = (await proxiesTo(ip)).sort();
      await h.kill9();
      // Both proxies outlive the daemon (the ports keep answering) and are re-adopted at the next start.
      assert.equal(await httpGet('::1', port, 5_000), 'dual-web\n');
      assert.deepEqual((await proxiesTo(ip)).sort(), before);
      await h.restart();
      assert.equal((await run(['port', 'dual'])).stdout, `80/tcp -> 0.0.0.0:${port}\n80/tcp -> [::]:${port}\n`);
      assert.equal(await eventually(() => httpGet('::1', port, 5_000), 50), 'dual-web\n');
      assert.deepEqual((await proxiesTo(ip)).sort(), before);
    });

    test('rm and daemon stop leave no proxy and no rule behind', async () => {
      const ips = [await inspect('dual', '{{.NetworkSettings.IPAddress}}'), await inspect('rand', '{{.NetworkSettings.IPAddress}}')];
      const port = Number(/:(\d+)$/.exec((await run(['port', 'dual', '80'])).stdout.trim().split('\n')[1] ?? '')?.[1]);
      assert.equal((await run(['rm', '-f', 'dual'])).code, 0);
      assert.deepEqual(await proxiesTo(ips[0] ?? ''), []);
      assert.doesNotMatch(await host('iptables-save', ['-t', 'nat']), new RegExp(`--dport ${port} `));
      assert.equal(await ip6DnatFor(port), false);
      await h.stop();
      assert.deepEqual(await proxiesTo(ips[1] ?? ''), []);
      assert.doesNotMatch(await host('ip6tables-save', []), new RegExp(`BERTH-[A-Z0-9]*-?${h.bridge}`));
    });
  });
}

describe('dual-stack publishing with userland-proxy: false', { skip: hasIpv6 ? false : 'the host has no IPv6' }, () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const berth = (args: string[]) => runCli('berth', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('ds-dual-noproxy', { daemonJson: { 'userland-proxy': false } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('an IPv4-only container is published on 0.0.0.0 only; [::1] is dropped (as Docker)', async () => {
    const a = await docker(['run', '-d', '--name', 'v4only', '-p', '80', ...web('v4only')]);
    assert.equal(a.code, 0, a.stderr);
    const port = (await berth(['port', 'v4only'])).stdout.trim();
    assert.match(port, /^80\/tcp -> 0\.0\.0\.0:\d+$/);
    assert.match((await docker(['port', 'v4only'])).stdout.trim(), /^80\/tcp -> 0\.0\.0\.0:\d+$/);
    const b = await berth(['run', '-d', '--name', 'v6drop', '-p', '[::1]::80', 'busybox', 'sleep', '60']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await docker(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'v6drop'])).stdout.trim(), '{"80/tcp":null}');
    assert.equal((await docker(['port', 'v6drop'])).stdout.trim(), '');
    assert.equal((await berth(['ps', '--format', '{{.Ports}}', '--filter', 'name=v6drop'])).stdout.trim(), '80/tcp');
    assert.equal((await docker(['rm', '-f', 'v4only', 'v6drop'])).code, 0);
  });
});
