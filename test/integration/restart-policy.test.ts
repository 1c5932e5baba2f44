import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const cli of ['docker', 'berth'] as const) {
  describe(`restart policies via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const state = async (name: string): Promise<string> =>
      (await run(['inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', name])).stdout.trim();
    const until = async (name: string, want: RegExp, ms = 15_000): Promise<string> => {
      let s = '';
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
        s = await state(name);
        if (want.test(s)) return s;
      }
      return s;
    };

    before(async () => {
      h = await startBerthd(`restart-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('on-failure:2 restarts a failing container twice, then leaves it exited', async () => {
      const r = await run(['run', '-d', '--name', 'onfail', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 3']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await until('onfail', /^exited 2 3$/), 'exited 2 3');
      await sleep(500);
      assert.equal(await state('onfail'), 'exited 2 3', 'no third restart');
      const policy = await run(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'onfail']);
      assert.equal(policy.stdout.trim(), 'on-failure:2');
    });

    test('on-failure does not restart a clean exit; no never restarts', async () => {
      await run(['run', '-d', '--name', 'clean', '--restart', 'on-failure', 'busybox', 'true']);
      await run(['run', '-d', '--name', 'never', 'busybox', 'sh', '-c', 'exit 1']);
      await sleep(800);
      assert.equal(await until('clean', /^exited/), 'exited 0 0');
      assert.equal(await until('never', /^exited/), 'exited 0 1');
    });

    test('always restarts with back-off until stopped; stop cancels it', async () => {
      const r = await run(['run', '-d', '--name', 'always', '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2; exit 5']);
      assert.equal(r.code, 0, r.stderr);
      const s = await until('always', /^\w+ [3-9] /);
      assert.match(s, /^\w+ [3-9] /, 'restarted at least three times');
      const stop = await run(['stop', '-t', '1', 'always']);
      assert.equal(stop.code, 0, stop.stderr);
      const after1 = await until('always', /^exited/);
      await sleep(1500);
      assert.equal(await state('always'), after1, 'stays stopped');
    });

    test('an unknown policy is rejected', async () => {
      const r = await run(['create', '--restart', 'sometimes', 'busybox', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Error response from daemon: invalid restart policy '[^']+'/);
      // dockerd 20.10's texts for the retry count
      const always = await run(['create', '--restart', 'always:3', 'busybox', 'true']);
      assert.match(always.stderr, /Error response from daemon: maximum retry count cannot be used with restart policy 'always'/);
      const negative = await run(['create', '--restart', 'on-failure:-1', 'busybox', 'true']);
      assert.match(negative.stderr, /Error response from daemon: maximum retry count cannot be negative/);
    });
  });
}

describe('restart policies across a berthd restart', () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  before(async () => {
    h = await startBerthd('restart-daemon');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('always and unless-stopped come back; user-stopped and no stay down', async () => {
    for (const [name, policy] of [['al', 'always'], ['us', 'unless-stopped'], ['usstopped', 'unless-stopped'], ['no', 'no']] as const) {
      const r = await run(['run', '-d', '--name', name, '--restart', policy, 'busybox', 'sleep', '600']);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal((await run(['stop', '-t', '0', 'usstopped'])).code, 0);
    await h.restart();
    const ps = await run(['ps', '--format', '{{.Names}}']);
    assert.deepEqual(ps.stdout.trim().split('\n').sort(), ['al', 'us']);
    const st = await run(['inspect', '-f', '{{.Name}} {{.State.Status}}', 'usstopped', 'no']);
    assert.equal(st.stdout, '/usstopped exited\n/no exited\n');
  });
});
