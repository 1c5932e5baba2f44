import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { eventually, host, httpGet } from '../helpers/network-daemon.js';

/** ip6tables lines of this daemon (its chains are named after its bridge) or naming `needle`. */
async function ip6Rules(tag: string, needle?: string): Promise<string[]> {
  const save = await host('ip6tables-save', []);
  return save.split('\n').filter((l) => l.includes(`-${tag}`) || (needle !== undefined && l.includes(needle)));
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// IPv6 on a user-defined network: addresses on the veths, inspect, ping6 between two containers.
for (const [cli, n] of [['docker', 'a1'], ['berth', 'a2']] as const) {
  describe(`IPv6 user network via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const subnet6 = `fd00:b0:${n}::/64`;

    before(async () => {
      h = await startBerthd(`net-ipv6-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('network create --ipv6 --subnet; containers get addresses and ping each other over IPv6', async () => {
      const c = await run(['network', 'create', '--ipv6', '--subnet', subnet6, 'v6net']);
      assert.equal(c.code, 0, c.stderr);
      const ins = await run(['network', 'inspect', '-f', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}', 'v6net']);
      assert.match(ins.stdout.trim(), new RegExp(`^true .*fd00:b0:${n}::/64=fd00:b0:${n}::1$`));
      const bridge = `br-${c.stdout.trim().slice(0, 12)}`;
      assert.match(await host('ip', ['-6', '-o', 'addr', 'show', 'dev', bridge]), new RegExp(`inet6 fd00:b0:${n}::1/64`));

      const started = await run(['run', '-d', '--name', 'six-a', '--network', 'v6net', 'busybox', 'sleep', '120']);
      assert.equal(started.code, 0, started.stderr);
      const a6 = (await run(['inspect', '-f', '{{.NetworkSettings.Networks.v6net.GlobalIPv6Address}} {{.NetworkSettings.Networks.v6net.GlobalIPv6PrefixLen}} {{.NetworkSettings.Networks.v6net.IPv6Gateway}}', 'six-a'])).stdout.trim();
      const [addr = '', len, gw] = a6.split(' ');
      assert.match(addr, new RegExp(`^fd00:b0:${n}::[0-9a-f]+$`));
      assert.equal(len, '64');
      assert.equal(gw, `fd00:b0:${n}::1`);
      const members = await run(['network', 'inspect', '-f', '{{range .Containers}}{{.IPv6Address}}{{end}}', 'v6net']);
      assert.equal(members.stdout.trim(), `${addr}/64`);

      const r = await run(['run', '--rm', '--network', 'v6net', 'busybox', 'sh', '-c', `ip -6 -o addr show eth0; ping -6 -c1 -W3 ${addr} && nslookup -type=aaaa six-a && ping -6 -c1 -W3 six-a`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`inet6 fd00:b0:${n}::[0-9a-f]+/64`));
      assert.match(r.stdout, /1 packets received/);
      assert.match(r.stdout, new RegExp(`Address:\\s+${esc(addr)}`), 'AAAA answer from the network DNS');
      assert.match(r.stdout, new RegExp(`PING six-a \\(${esc(addr)}\\)`));

      // ip6tables: the subnet's MASQUERADE and the bridge's forward rules, in chains of our own.
      const nat6 = await host('ip6tables-save', ['-t', 'nat']);
      assert.match(nat6, new RegExp(`-A BERTH-POST-${h.bridge} -s ${esc(subnet6)} ! -o ${bridge} -j MASQUERADE`));
      assert.match(nat6, new RegExp(`-A POSTROUTING -j BERTH-POST-${h.bridge}`));
      assert.match(await host('ip6tables-save', ['-t', 'filter']), new RegExp(`-A BERTH-FWD-${h.bridge} -i ${bridge} -o ${bridge} -j ACCEPT`));
      assert.equal((await run(['rm', '-f', 'six-a'])).code, 0);
      assert.equal((await run(['network', 'rm', 'v6net'])).code, 0);
      assert.deepEqual(await ip6Rules('none-such', bridge), [], 'network rm leaves no ip6tables rule for its bridge');
    });

    test('--ipv6 without --subnet gets a ULA /64 (Docker ≥ 27); --internal gets no MASQUERADE', async () => {
      const c = await run(['network', 'create', '--ipv6', '--internal', 'v6auto']);
      assert.equal(c.code, 0, c.stderr);
      const cfg = (await run(['network', 'inspect', '-f', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}', 'v6auto'])).stdout.trim();
      const m = /^true \S+=\S+ (fd[0-9a-f]{2}:[0-9a-f:]+)\/64=(\S+)$/.exec(cfg);
      assert.ok(m, cfg);
      const [, sub = '', gw = ''] = m;
      assert.equal(gw, `${sub.replace(/::$/, '')}::1`);
      const r = await run(['run', '--rm', '--network', 'v6auto', 'busybox', 'sh', '-c', `ip -6 -o addr show eth0 scope global; ping -6 -c1 -W3 ${gw}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`inet6 ${esc(sub.replace(/::$/, ''))}::[0-9a-f]+/64`));
      const bridge = `br-${c.stdout.trim().slice(0, 12)}`;
      assert.doesNotMatch(await host('ip6tables-save', ['-t', 'nat']), new RegExp(`MASQUERADE.*${bridge}|${bridge}.*MASQUERADE`));
      // A second one gets another /64.
      const c2 = await run(['network', 'create', '--ipv6', 'v6auto2']);
      assert.equal(c2.code, 0, c2.stderr);
      const cfg2 = (await run(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', 'v6auto2'])).stdout;
      assert.match(cfg2, /fd[0-9a-f:]+\/64/);
      assert.doesNotMatch(cfg2, new RegExp(esc(`${sub}/64`)));
      assert.equal((await run(['network', 'rm', 'v6auto', 'v6auto2'])).code, 0);
    });

    test('published ports on IPv6: [::1] through the proxy, and [::] beside 0.0.0.0 with an ip6tables DNAT', async () => {
      assert.equal((await run(['network', 'create', '--ipv6', '--subnet', `fd04:c0:${n}::/64`, 'v6pub'])).code, 0);
      const web = (text: string): string[] => ['busybox', 'sh', '-c', `echo ${text} > /tmp/index.html; exec httpd -f -p 80 -h /tmp`];
      const a = await run(['run', '-d', '--name', 'six-web', '--network', 'v6pub', '-p', '[::1]::80', ...web('six-loop')]);
      assert.equal(a.code, 0, a.stderr);
      const pa = (await run(['port', 'six-web', '80/tcp'])).stdout.trim();
      const ma = /^\[::1\]:(\d+)$/.exec(pa);
      assert.ok(ma, pa);
      assert.equal(await eventually(() => httpGet('::1', Number(ma[1])), 50), 'six-loop\n');

      const b = await run(['run', '-d', '--name', 'six-any', '--network', 'v6pub', '-p', '80', ...web('six-any')]);
      assert.equal(b.code, 0, b.stderr);
      const pb = (await run(['port', 'six-any', '80/tcp'])).stdout;
      const v4 = /^0\.0\.0\.0:(\d+)$/m.exec(pb);
      const v6 = /^\[::\]:(\d+)$/m.exec(pb);
      assert.ok(v4 && v6, pb);
      assert.equal(v4[1], v6[1]);
      assert.equal(await eventually(() => httpGet('::1', Number(v6[1])), 50), 'six-any\n');
      assert.equal(await eventually(() => httpGet('127.0.0.1', Number(v4[1])), 50), 'six-any\n');
      const addr6 = (await run(['inspect', '-f', '{{.NetworkSettings.Networks.v6pub.GlobalIPv6Address}}', 'six-any'])).stdout.trim();
      assert.match(await host('ip6tables-save', ['-t', 'nat']), new RegExp(`-A BERTH-${h.bridge} ! -i br-[0-9a-f]+ -p tcp -m tcp --dport ${v6[1]} -j DNAT --to-destination \\[${esc(addr6)}\\]:80`));
      assert.equal((await run(['rm', '-f', 'six-web', 'six-any'])).code, 0);
      assert.doesNotMatch(await host('ip6tables-save', ['-t', 'nat']), new RegExp(`--dport ${v6[1]} -j DNAT`));
      assert.equal((await run(['network', 'rm', 'v6pub'])).code, 0);
    });

    test('an IPv6 subnet without --ipv6 is taken as dockerd 20.10 takes it: listed, not enabled', async () => {
      const r = await run(['network', 'create', '--subnet', 'fd00:b1::/64', 'v6off']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await run(['network', 'inspect', '-f', '{{.EnableIPv6}}', 'v6off'])).stdout.trim(), 'false');
      assert.equal((await run(['network', 'rm', 'v6off'])).code, 0);
    });

    test('daemon stop leaves no ip6tables chain of ours', async () => {
      const tag = h.bridge;
      assert.ok((await ip6Rules(tag)).length > 0, 'the chains exist while the daemon runs');
      await h.stop();
      assert.deepEqual(await ip6Rules(tag), []);
    });

  });
}

// daemon.json "ipv6" + "fixed-cidr-v6": the default bridge gets that subnet; inspect's top-level IPv6 fields are filled.
describe('IPv6 on the default bridge (ipv6, fixed-cidr-v6)', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('net-ipv6-default', { daemonJson: { ipv6: true, 'fixed-cidr-v6': 'fd04:d0::/64' } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('network inspect bridge shows the subnet; a container gets GlobalIPv6Address/PrefixLen/IPv6Gateway at the top level', async () => {
    const ins = await docker(['network', 'inspect', '-f', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}', 'bridge']);
    assert.match(ins.stdout.trim(), /^true \S+ fd04:d0::\/64=fd04:d0::1$/);
    assert.match(await host('ip', ['-6', '-o', 'addr', 'show', 'dev', h.bridge]), /inet6 fd04:d0::1\/64/);
    const r = await docker(['run', '-d', '--name', 'def6', 'busybox', 'sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    const top = (await docker(['inspect', '-f', '{{.NetworkSettings.GlobalIPv6Address}} {{.NetworkSettings.GlobalIPv6PrefixLen}} {{.NetworkSettings.IPv6Gateway}}', 'def6'])).stdout.trim();
    const [addr = '', len, gw] = top.split(' ');
    assert.match(addr, /^fd04:d0::[0-9a-f]+$/);
    assert.equal(len, '64');
    assert.equal(gw, 'fd04:d0::1');
    const ping = await docker(['run', '--rm', 'busybox', 'ping', '-6', '-c1', '-W3', addr]);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(await host('ip6tables-save', ['-t', 'nat']), new RegExp(`-A BERTH-POST-${h.bridge} -s fd04:d0::/64 ! -o ${h.bridge} -j MASQUERADE`));
    assert.equal((await docker(['rm', '-f', 'def6'])).code, 0);
  });

  test('berthd takes --ipv6 and --fixed-cidr-v6 as flags too', async () => {
    const help = await host('node', [`${repoRoot}/dist/src/daemon/main.js`, '--help']);
    assert.match(help, /--fixed-cidr-v6/);
    assert.match(help, /--ipv6/);
  });
});
