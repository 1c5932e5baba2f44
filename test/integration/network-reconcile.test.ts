import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { eventually, host, httpGet, proxiesTo } from '../helpers/network-daemon.js';

describe('network state across a daemon crash', () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('net-reconcile');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('after kill -9 and restart, a running container keeps its address and published port', async () => {
    const r = await run(['run', '-d', '--name', 'srv', '-p', '127.0.0.1:0:80', 'busybox', 'sh', '-c', 'echo again > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    const other = await run(['run', '-d', '--name', 'other', 'busybox', 'sleep', '60']);
    assert.equal(other.code, 0, other.stderr);
    const port = Number((await run(['port', 'srv', '80'])).stdout.trim().split(':').pop());
    const ip = (await run(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'srv'])).stdout.trim();
    const before = await proxiesTo(ip);
    assert.equal(before.length, 1);
    await h.kill9();
    // The proxy outlives the daemon (the port keeps answering) and is re-adopted at the next start.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await proxiesTo(ip), before);
    await h.restart();
    assert.equal((await run(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'srv'])).stdout.trim(), ip);
    assert.equal(await eventually(() => httpGet('127.0.0.1', port, 5_000)), 'again\n');
    const save = await host('iptables-save', ['-t', 'nat']);
    assert.equal(save.split('\n').filter((l) => l.includes(`--dport ${port} `) && l.includes(`BERTH-${h.bridge}`)).length, 1, 'one DNAT rule, not a duplicate');
    const after = await proxiesTo(ip);
    assert.deepEqual(after, before, 'the same proxy, re-adopted');
  });

  test('after stop nothing of ours is left', async () => {
    const bridge = h.bridge;
    const ids = (await run(['ps', '-aq', '--no-trunc'])).stdout.split('\n').filter((l) => l !== '');
    assert.ok(ids.length > 0);
    await h.stop();
    assert.doesNotMatch(await host('iptables-save', []), new RegExp(`BERTH-[A-Z0-9]*-?${bridge}`));
    assert.equal((await host('ip', ['-o', 'link', 'show', 'dev', bridge])).trim(), '');
    // Only this daemon's containers: other daemons on the host may have veths of their own.
    const links = await host('ip', ['-o', 'link']);
    for (const id of ids) assert.doesNotMatch(links, new RegExp(`vb${id.slice(0, 11)}`));
  });
});
