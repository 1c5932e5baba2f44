import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function host(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { encoding: 'utf8' }, (_err, stdout) => resolve(stdout)));
}

// Isolation between user networks and the default bridge (Docker's
// DOCKER-ISOLATION chains, in Berth's own), --internal networks, icc=false.
// Steps alternate between the real docker CLI and berth on one daemon.
describe('network isolation', () => {
  let h: BerthdHarness;
  const cli = (which: 'docker' | 'berth') => (args: string[]) => runCli(which, args, { env: h.env, timeoutMs: 60_000 });
  const docker = cli('docker');
  const berth = cli('berth');
  const ipOf = async (name: string, net: string): Promise<string> =>
    (await docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name])).stdout.trim();

  before(async () => {
    h = await startBerthd('net-isolation');
    await loadBusybox(h);
    for (const [run, name, subnet, extra] of [
      [docker, 'iso1', '10.203.31.0/24', []],
      [berth, 'iso2', '10.203.32.0/24', []],
      [docker, 'isoint', '10.203.33.0/24', ['--internal']],
    ] as const) {
      const r = await run(['network', 'create', '--subnet', subnet, ...extra, name]);
      assert.equal(r.code, 0, r.stderr);
    }
    for (const [run, name, net] of [
      [docker, 'a1', 'iso1'],
      [berth, 'b1', 'iso2'],
      [docker, 'd1', 'bridge'],
      [berth, 'i1', 'isoint'],
    ] as const) {
      const r = await run(['run', '-d', '--name', name, '--network', net, 'busybox', 'sleep', '120']);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await h?.stop();
  });

  test('containers on the same user network reach each other', async () => {
    const ip = await ipOf('a1', 'iso1');
    const r = await docker(['run', '--rm', '--network', 'iso1', 'busybox', 'ping', '-c1', '-W2', ip]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('another user network and the default bridge cannot reach a user network, nor the reverse', async () => {
    const a1 = await ipOf('a1', 'iso1');
    const b1 = await ipOf('b1', 'iso2');
    const d1 = await ipOf('d1', 'bridge');
    for (const [run, net, target] of [
      [docker, 'iso2', a1],
      [berth, 'bridge', a1],
      [docker, 'iso1', b1],
      [berth, 'iso1', d1],
    ] as const) {
      const r = await run(['run', '--rm', '--network', net, 'busybox', 'ping', '-c1', '-W1', target]);
      assert.notEqual(r.code, 0, `${net} → ${target} should be dropped: ${r.stdout}`);
    }
    const save = await host('iptables-save', ['-t', 'filter']);
    assert.match(save, new RegExp(`-A BERTH-FWD-${h.bridge} -j BERTH-ISO1-${h.bridge}`));
    assert.match(save, new RegExp(`-A BERTH-ISO1-${h.bridge} -i ${h.bridge} ! -o ${h.bridge} -j BERTH-ISO2-${h.bridge}`));
    assert.match(save, new RegExp(`-A BERTH-ISO2-${h.bridge} -o ${h.bridge} -j DROP`));
    assert.doesNotMatch(save, /DOCKER-ISOLATION.*BERTH|BERTH.*DOCKER-ISOLATION/);
  });

  test('an --internal network: no default route, no MASQUERADE, no way out; its members still talk', async () => {
    const i1 = await ipOf('i1', 'isoint');
    const a1 = await ipOf('a1', 'iso1');
    const r = await berth(['run', '--rm', '--network', 'isoint', 'busybox', 'sh', '-c', `ip route; ping -c1 -W2 ${i1}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /default/);
    assert.match(r.stdout, /10\.203\.33\.0\/24 dev eth0/);
    const out = await docker(['run', '--rm', '--network', 'isoint', 'busybox', 'ping', '-c1', '-W1', a1]);
    assert.notEqual(out.code, 0);
    const into = await docker(['run', '--rm', '--network', 'iso1', 'busybox', 'ping', '-c1', '-W1', i1]);
    assert.notEqual(into.code, 0);
    const nat = await host('iptables-save', ['-t', 'nat']);
    assert.doesNotMatch(nat, /-s 10\.203\.33\.0\/24 .*MASQUERADE/);
    assert.match(nat, /-s 10\.203\.31\.0\/24 .*MASQUERADE/);
    const ins = await docker(['network', 'inspect', '-f', '{{.Internal}}', 'isoint']);
    assert.equal(ins.stdout.trim(), 'true');
  });
});

describe('daemon.json icc: false', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const berth = (args: string[]) => runCli('berth', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('net-noicc', { daemonJson: { icc: false } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('containers on the default bridge cannot reach each other; the gateway still answers', async () => {
    const r = await docker(['run', '-d', '--name', 'x1', 'busybox', 'sleep', '120']);
    assert.equal(r.code, 0, r.stderr);
    const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'x1'])).stdout.trim();
    const gw = (await docker(['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'x1'])).stdout.trim();
    const peer = await berth(['run', '--rm', 'busybox', 'ping', '-c1', '-W1', ip]);
    assert.notEqual(peer.code, 0, peer.stdout);
    const gwPing = await docker(['run', '--rm', 'busybox', 'ping', '-c1', '-W2', gw]);
    assert.equal(gwPing.code, 0, gwPing.stdout + gwPing.stderr);
    for (const run of [docker, berth]) {
      const opt = await run(['network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.enable_icc"}}', 'bridge']);
      assert.equal(opt.stdout.trim(), 'false', opt.stderr);
    }
    const save = await host('iptables-save', ['-t', 'filter']);
    assert.match(save, new RegExp(`-A BERTH-FWD-${h.bridge} -i ${h.bridge} -o ${h.bridge} -j DROP`));
  });
});
