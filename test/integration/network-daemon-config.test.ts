import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { eventually, host, httpGet } from '../helpers/network-daemon.js';

const web = ['busybox', 'sh', '-c', 'echo kernel-path > /tmp/index.html; exec httpd -f -p 80 -h /tmp'];

describe('daemon.json mtu, bip + fixed-cidr, default-address-pools, userland-proxy: false', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const berth = (args: string[]) => runCli('berth', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('net-dconf', {
      daemonJson: {
        mtu: 1400,
        bip: '10.204.7.1/24',
        'fixed-cidr': '10.204.7.128/25',
        'userland-proxy': false,
        'default-address-pools': [{ base: '10.205.0.0/16', size: 26 }],
      },
    });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('addresses come from fixed-cidr; bridge and eth0 use the configured MTU', async () => {
    for (const run of [docker, berth]) {
      const r = await run(['run', '--rm', 'busybox', 'sh', '-c', 'cat /sys/class/net/eth0/mtu; ip -o -4 addr show eth0']);
      assert.equal(r.code, 0, r.stderr);
      const [mtu, addr = ''] = r.stdout.trim().split('\n');
      assert.equal(mtu, '1400');
      const m = /inet 10\.204\.7\.(\d+)\/24/.exec(addr);
      assert.ok(m, addr);
      assert.ok(Number(m[1]) >= 128, `address ${addr} outside fixed-cidr`);
    }
    assert.equal((await readFile(`/sys/class/net/${h.bridge}/mtu`, 'utf8')).trim(), '1400');
    const ins = await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}} {{.IPRange}}{{end}}', 'bridge']);
    assert.equal(ins.stdout.trim(), '10.204.7.0/24 10.204.7.1 10.204.7.128/25');
  });

  test('a network without --subnet takes its subnet from default-address-pools', async () => {
    const r = await berth(['network', 'create', 'pooled']);
    assert.equal(r.code, 0, r.stderr);
    const s = await docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'pooled']);
    assert.match(s.stdout.trim(), /^10\.205\.\d+\.(0|64|128|192)\/26$/);
    assert.equal((await docker(['network', 'rm', 'pooled'])).code, 0);
  });

  test('userland-proxy: false: 127.0.0.1:hostport answers through DNAT alone (route_localnet, loopback MASQUERADE)', async () => {
    const r = await docker(['run', '-d', '--name', 'kweb', '-p', '127.0.0.1:0:80', ...web]);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await docker(['port', 'kweb', '80'])).stdout.trim().split(':').pop());
    // The port holder berthd keeps closes every connection it gets: an answer can only come from the kernel path.
    assert.equal(await eventually(() => httpGet('127.0.0.1', port)), 'kernel-path\n');
    assert.equal((await readFile(`/proc/sys/net/ipv4/conf/${h.bridge}/route_localnet`, 'utf8')).trim(), '1');
    const nat = await host('iptables-save', ['-t', 'nat']);
    assert.match(nat, new RegExp(`-A BERTH-POST-${h.bridge} -s 127\\.0\\.0\\.0/8 -o ${h.bridge} -m addrtype --src-type LOCAL -j MASQUERADE`));
    assert.match(nat, new RegExp(`-A OUTPUT -m addrtype --dst-type LOCAL -j BERTH-${h.bridge}`));
    assert.equal((await docker(['rm', '-f', 'kweb'])).code, 0);
  });
});

describe('daemon.json iptables: false', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('net-noipt', { daemonJson: { iptables: false } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('no rule of ours at all; a published port still answers on loopback through the proxy', async () => {
    const r = await docker(['run', '-d', '--name', 'pweb', '-p', '127.0.0.1:0:80', 'busybox', 'sh', '-c', 'echo proxied > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    const port = Number((await docker(['port', 'pweb', '80'])).stdout.trim().split(':').pop());
    assert.equal(await eventually(() => httpGet('127.0.0.1', port)), 'proxied\n');
    const save = await host('iptables-save', []);
    assert.doesNotMatch(save, new RegExp(h.bridge));
  });
});
