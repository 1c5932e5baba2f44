import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('berthd killed with SIGKILL', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('sigkill');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('a running container survives, keeps logging and is re-adopted', async () => {
    const r = await docker(['run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done']);
    assert.equal(r.code, 0, r.stderr);
    await sleep(500);
    const pidBefore = (await docker(['inspect', '-f', '{{.State.Pid}}', 'survivor'])).stdout.trim();
    assert.match(pidBefore, /^[1-9]\d*$/);

    await h.kill9();
    await sleep(1500);
    process.kill(Number(pidBefore), 0); // still alive while the daemon is down
    await h.restart();

    const state = await docker(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor']);
    assert.equal(state.stdout.trim(), `running ${pidBefore}`);
    const logs = await docker(['logs', 'survivor']);
    const ticks = logs.stdout.split('\n').filter((l) => l.startsWith('tick '));
    assert.ok(ticks.length >= 8, `expected the output written while berthd was down, got ${ticks.length} lines`);
    assert.deepEqual(
      ticks.map((l) => Number(l.slice(5))),
      ticks.map((_l, i) => i + 1),
      'no line lost or duplicated',
    );

    const stop = await docker(['stop', '-t', '1', 'survivor']);
    assert.equal(stop.code, 0, stop.stderr);
    const after = await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'survivor']);
    assert.match(after.stdout.trim(), /^exited (137|143)$/);
    assert.equal((await docker(['rm', 'survivor'])).code, 0);
  });

  test('a container that exits while berthd is down gets its exit code recorded', async () => {
    const r = await docker(['run', '-d', '--name', 'leaver', 'busybox', 'sh', '-c', 'sleep 1; echo bye; exit 7']);
    assert.equal(r.code, 0, r.stderr);
    await h.kill9();
    await sleep(2000);
    await h.restart();
    const st = await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'leaver']);
    assert.equal(st.stdout.trim(), 'exited 7 false');
    assert.equal((await docker(['logs', 'leaver'])).stdout, 'bye\n');
    const ps = await docker(['ps', '-a', '--filter', 'name=leaver', '--format', '{{.Status}}']);
    assert.match(ps.stdout.trim(), /^Exited \(7\) /);
    assert.equal((await docker(['rm', 'leaver'])).code, 0);
  });

  test('state written before the kill is all there after restart', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await docker(['create', '--name', `keep${i}`, 'busybox', 'true'])).code, 0);
    assert.equal((await docker(['tag', 'busybox', 'kept:v1'])).code, 0);
    await h.kill9();
    await h.restart();
    const names = (await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout.trim().split('\n').sort();
    assert.deepEqual(names, ['keep0', 'keep1', 'keep2', 'keep3', 'keep4']);
    assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', 'kept:v1'])).code, 0);
    for (let i = 0; i < 5; i++) assert.equal((await docker(['rm', `keep${i}`])).code, 0);
  });
});
