import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { host, httpGet } from '../helpers/network-daemon.js';

/** A second berthd started by hand (not the harness: its cleanup would remove the bridge it was refused). */
function startRefused(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${repoRoot}/bin/berthd`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('two berthds on one host', () => {
  let a: BerthdHarness;
  let b: BerthdHarness | undefined;
  let scratch: string;
  const runA = (args: string[]) => runCli('docker', args, { env: a.env, timeoutMs: 60_000 });

  before(async () => {
    a = await startBerthd('two-daemons-a');
    await loadBusybox(a);
    scratch = await mkdtemp(`${tmpdir()}/berth-two-daemons-`);
    await writeFile(`${scratch}/daemon.json`, '{}');
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  const ownArgs = (tag: string): string[] => [
    '--exec-root', `${scratch}/${tag}-exec`,
    '-H', `unix://${scratch}/${tag}.sock`,
    '--pidfile', `${scratch}/${tag}.pid`,
    '--config-file', `${scratch}/daemon.json`,
  ];

  async function servedPort(): Promise<number> {
    await runA(['rm', '-f', 'srv']);
    const r = await runA(['run', '-d', '--name', 'srv', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo from-a > /tmp/index.html; exec httpd -f -p 80 -h /tmp']);
    assert.equal(r.code, 0, r.stderr);
    return Number((await runA(['port', 'srv', '80'])).stdout.trim().split(':').pop());
  }

  const chainRules = async (): Promise<string> => host('iptables', ['-w', '-t', 'nat', '-S', `BERTH-${a.bridge}`]);

  test('a second daemon on the same data root is refused, naming the holder', async () => {
    const r = await startRefused(['--data-root', a.dataRoot, '--bridge', 'none', ...ownArgs('same-root')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`data root ${a.dataRoot} is in use by another berthd \\(pid ${a.pid}`));
    assert.equal((await runA(['version', '-f', '{{.Server.Version}}'])).code, 0);
  });

  test('a second daemon on the same bridge is refused and leaves the bridge and its chains alone', async () => {
    const port = await servedPort();
    const rulesBefore = await chainRules();
    assert.match(rulesBefore, new RegExp(`--dport ${port} `));
    const r = await startRefused(['--data-root', `${scratch}/same-bridge-data`, '--bridge', a.bridge, ...ownArgs('same-bridge')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`bridge ${a.bridge} \\(and its iptables chains BERTH-\\*-${a.bridge}\\) is in use by another berthd \\(pid ${a.pid}, data root ${a.dataRoot}`));
    assert.equal(await chainRules(), rulesBefore, 'the refused daemon flushed nothing');
    assert.notEqual((await host('ip', ['-o', 'link', 'show', 'dev', a.bridge])).trim(), '');
    assert.equal(await httpGet('127.0.0.1', port), 'from-a\n');
  });

  test('daemons on different bridges coexist, and stopping one leaves the other serving', async () => {
    const port = await servedPort();
    b = await startBerthd('two-daemons-b');
    assert.notEqual(b.bridge, a.bridge);
    await loadBusybox(b);
    const rb = await runCli('docker', ['run', '-d', '--name', 'srv-b', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo from-b > /tmp/index.html; exec httpd -f -p 80 -h /tmp'], { env: b.env });
    assert.equal(rb.code, 0, rb.stderr);
    const portB = Number((await runCli('docker', ['port', 'srv-b', '80'], { env: b.env })).stdout.trim().split(':').pop());
    assert.equal(await httpGet('127.0.0.1', portB), 'from-b\n');
    const rulesBefore = await chainRules();
    await b.stop();
    b = undefined;
    assert.equal(await chainRules(), rulesBefore, "stopping b left a's chains as they were");
    assert.notEqual((await host('ip', ['-o', 'link', 'show', 'dev', a.bridge])).trim(), '');
    assert.equal(await httpGet('127.0.0.1', port), 'from-a\n');
    // And a's container still reaches out through its bridge's MASQUERADE/FORWARD rules: the gateway answers.
    const ping = await runA(['exec', 'srv', 'ping', '-c', '1', '-W', '2', (await runA(['inspect', '-f', '{{.NetworkSettings.Gateway}}', 'srv'])).stdout.trim()]);
    assert.equal(ping.code, 0, ping.stderr);
  });

  test("a SIGKILLed daemon's owner locks do not block the next start", async () => {
    const old = a.pid;
    await a.kill9();
    await a.restart();
    assert.notEqual(a.pid, old);
    const r = await startRefused(['--data-root', `${scratch}/after-kill-data`, '--bridge', a.bridge, ...ownArgs('after-kill')]);
    assert.match(r.stderr, new RegExp(`is in use by another berthd \\(pid ${a.pid},`), 'the record names the new owner');
  });
});
