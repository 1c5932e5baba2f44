import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { eventually, host, httpGet, proxiesTo } from '../helpers/network-daemon.js';

/** What of this daemon shows on the host: veths on its bridge, its netns files, its iptables rules. */
async function hostTraces(h: BerthdHarness): Promise<{ veths: string; rules: string; netns: string }> {
  const veths = (await host('ip', ['-o', 'link', 'show', 'master', h.bridge])).trim();
  const rules = [
    ...(await host('iptables-save', [])).split('\n').filter((l) => l.includes(h.bridge)),
  ].join('\n');
  const netns = (await host('ls', ['-A', `${h.execRoot}/netns`])).trim();
  return { veths, rules, netns };
}

// The same assertions through the real docker CLI and through berth.
for (const cli of ['docker', 'berth'] as const) {
  describe(`default bridge via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const inspect = async (name: string, format: string): Promise<string> => (await run(['inspect', '-f', format, name])).stdout.trim();

    before(async () => {
      h = await startBerthd(`net-bridge-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('a container gets an address on the bridge, Docker MAC, and reaches the gateway and a peer', async () => {
      const a = await run(['run', '-d', '--name', 'peer-a', 'busybox', 'sleep', '60']);
      assert.equal(a.code, 0, a.stderr);
      const ip = await inspect('peer-a', '{{.NetworkSettings.IPAddress}}');
      const gw = await inspect('peer-a', '{{.NetworkSettings.Gateway}}');
      const mac = await inspect('peer-a', '{{.NetworkSettings.MacAddress}}');
      assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
      const bytes = ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'));
      assert.equal(mac, `02:42:${bytes.join(':')}`);
      assert.equal(await inspect('peer-a', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}'), 'bridge');
      const hosts = await run(['exec', 'peer-a', 'cat', '/etc/hosts']).catch(() => undefined);
      if (hosts && hosts.code === 0) assert.match(hosts.stdout, new RegExp(`^${ip.replace(/\./g, '\\.')}\\t`, 'm'));
      const ping = await run(['run', '--rm', 'busybox', 'sh', '-c', `ping -c1 -W2 ${gw} && ping -c1 -W2 ${ip} && ip route`]);
      assert.equal(ping.code, 0, ping.stderr + ping.stdout);
      assert.match(ping.stdout, new RegExp(`default via ${gw.replace(/\./g, '\\.')}`));
      const rm = await run(['rm', '-f', 'peer-a']);
      assert.equal(rm.code, 0, rm.stderr);
      assert.deepEqual(await hostTraces(h), { veths: '', rules: (await hostTraces(h)).rules, netns: '' });
    });

    test('outbound NAT: MASQUERADE for the bridge subnet in our own chain', async () => {
      const save = await host('iptables-save', ['-t', 'nat']);
      assert.match(save, new RegExp(`-A BERTH-POST-${h.bridge} -s 10\\.\\d+\\.\\d+\\.0/24 ! -o ${h.bridge} -j MASQUERADE`));
      assert.match(save, new RegExp(`-A POSTROUTING -j BERTH-POST-${h.bridge}`));
    });

    test('-p 127.0.0.1:X:80 reaches busybox httpd from the host; also via the container IP; ps and port show it', async () => {
      const r = await run(['run', '-d', '--name', 'web', '-p', '127.0.0.1:0:80', 'busybox', 'sh', '-c', 'echo hello-web > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
      assert.equal(r.code, 0, r.stderr);
      const port = await run(['port', 'web']);
      const m = /^80\/tcp -> 127\.0\.0\.1:(\d+)$/m.exec(port.stdout);
      assert.ok(m, `docker port output: ${port.stdout}${port.stderr}`);
      const hostPort = Number(m[1]);
      assert.equal(await eventually(() => httpGet('127.0.0.1', hostPort, 5_000)), 'hello-web\n');
      const ip = await inspect('web', '{{.NetworkSettings.IPAddress}}');
      assert.equal(await eventually(() => httpGet(ip, 80, 5_000)), 'hello-web\n');
      const ps = await run(['ps', '--format', '{{.Ports}}', '--filter', 'name=web']);
      assert.equal(ps.stdout.trim(), `127.0.0.1:${hostPort}->80/tcp`);
      const dnat = await host('iptables-save', ['-t', 'nat']);
      assert.match(dnat, new RegExp(`-A BERTH-${h.bridge} -d 127\\.0\\.0\\.1/32 ! -i ${h.bridge} -p tcp -m tcp --dport ${hostPort} -j DNAT --to-destination ${ip.replace(/\./g, '\\.')}:80`));
    });

    test('a busy host port is an error at start', async () => {
      const used = (await run(['port', 'web', '80/tcp'])).stdout.trim();
      const hostPort = used.split(':').pop() ?? '';
      const r = await run(['run', '-d', '--name', 'web2', '-p', `127.0.0.1:${hostPort}:80`, 'busybox', 'sleep', '30']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`Bind for 127\\.0\\.0\\.1:${hostPort} failed: port is already allocated`));
      await run(['rm', '-f', 'web2']);
    });

    test('-P publishes exposed ports on free host ports', async () => {
      const r = await run(['run', '-d', '--name', 'pall', '-P', '--expose', '80', '--expose', '53/udp', 'busybox', 'sh', '-c', 'echo p-all > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
      assert.equal(r.code, 0, r.stderr);
      const port = await run(['port', 'pall', '80']);
      const m = /0\.0\.0\.0:(\d+)/.exec(port.stdout);
      assert.ok(m, port.stdout + port.stderr);
      assert.equal(await eventually(() => httpGet('127.0.0.1', Number(m[1]), 5_000)), 'p-all\n');
      const udp = await run(['port', 'pall', '53/udp']);
      assert.match(udp.stdout, /0\.0\.0\.0:\d+/);
    });

    test('--network container: shares the namespace', async () => {
      const ip = await inspect('web', '{{.NetworkSettings.IPAddress}}');
      const r = await run(['run', '--rm', '--network', 'container:web', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; wget -q -O - http://127.0.0.1:80/']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
      assert.match(r.stdout, /hello-web/);
    });

    test('rm leaves no veth, netns, port rule or proxy process behind', async () => {
      const ips = [await inspect('web', '{{.NetworkSettings.IPAddress}}'), await inspect('pall', '{{.NetworkSettings.IPAddress}}')];
      assert.equal((await proxiesTo(ips[0] ?? '')).length, 1, 'a berth-proxy serves the published port');
      assert.equal((await proxiesTo(ips[1] ?? '')).length, 4, 'one per published port, protocol and family (0.0.0.0 and [::])');
      const r = await run(['rm', '-f', 'web', 'pall']);
      assert.equal(r.code, 0, r.stderr);
      const t = await hostTraces(h);
      assert.equal(t.veths, '');
      assert.equal(t.netns, '');
      assert.doesNotMatch(t.rules, /DNAT/);
      for (const ip of ips) assert.deepEqual(await proxiesTo(ip), [], `proxy for ${ip}`);
    });

    test('daemon stop removes the bridge, veths and every rule of ours', async () => {
      const r = await run(['run', '-d', '--name', 'last', '-p', '127.0.0.1:0:80', 'busybox', 'sleep', '60']);
      assert.equal(r.code, 0, r.stderr);
      const bridge = h.bridge;
      const ids = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter((l) => l !== '');
      assert.ok(ids.length > 0);
      const ip = await inspect('last', '{{.NetworkSettings.IPAddress}}');
      assert.equal((await proxiesTo(ip)).length, 1);
      await h.stop();
      assert.deepEqual(await proxiesTo(ip), []);
      const save = await host('iptables-save', []);
      assert.doesNotMatch(save, new RegExp(`BERTH-[A-Z0-9]*-?${bridge}`));
      assert.equal((await host('ip', ['-o', 'link', 'show', 'dev', bridge])).trim(), '');
      // Only this daemon's containers: other daemons on the host may have veths of their own.
      const links = await host('ip', ['-o', 'link']);
      for (const id of ids) assert.doesNotMatch(links, new RegExp(`vb${id.slice(0, 11)}`));
    });
  });
}
