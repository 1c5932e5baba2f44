import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const cli of ['docker', 'berth'] as const) {
  describe(`events via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    let start = 0;

    before(async () => {
      h = await startBerthd(`events-${cli}`);
      await loadBusybox(h);
      start = Math.floor(Date.now() / 1000) - 1;
      assert.equal((await run(['run', '--name', 'evrm', '--rm', '--label', 'team=blue', 'busybox', 'sh', '-c', 'exit 2'])).code, 2);
      assert.equal((await run(['run', '-d', '--name', 'evx', 'busybox', 'sleep', '600'])).code, 0);
      assert.equal((await run(['exec', 'evx', 'true'])).code, 0);
      assert.equal((await run(['pause', 'evx'])).code, 0);
      assert.equal((await run(['unpause', 'evx'])).code, 0);
      assert.equal((await run(['rename', 'evx', 'evy'])).code, 0);
      assert.equal((await run(['kill', '-s', 'HUP', 'evy'])).code, 0);
      assert.equal((await run(['rm', '-f', 'evy'])).code, 0);
      await sleep(200);
    });
    after(async () => {
      await h?.stop();
    });

    const until = (): string => String(Math.floor(Date.now() / 1000) + 1);

    test('a run --rm shows create, attach, start, die, destroy in order with the exit code', async () => {
      const r = await run(['events', '--since', String(start), '--until', until(), '--filter', 'container=evrm', '--format', '{{.Action}} {{index .Actor.Attributes "exitCode"}}']);
      assert.equal(r.code, 0, r.stderr);
      const actions = r.stdout.trim().split('\n').map((l) => l.trim());
      assert.deepEqual(actions.filter((a) => /^(create|start|die|destroy)/.test(a)), ['create', 'start', 'die 2', 'destroy']);
      assert.ok(actions.indexOf('attach') >= 0 && actions.indexOf('attach') < actions.indexOf('start'), actions.join(','));
    });

    test('exec, pause, unpause, rename, kill (signal) and destroy are published', async () => {
      const r = await run(['events', '--since', String(start), '--until', until(), '--filter', 'type=container', '--filter', 'event=exec_create',
        '--filter', 'event=exec_start', '--filter', 'event=exec_die', '--filter', 'event=pause', '--filter', 'event=unpause', '--filter', 'event=rename',
        '--filter', 'event=kill', '--filter', 'event=destroy', '--format', '{{.Action}}|{{.Actor.Attributes.name}}|{{index .Actor.Attributes "signal"}}{{index .Actor.Attributes "exitCode"}}']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').filter((l) => !l.includes('|evrm|'));
      assert.deepEqual(lines, [
        'exec_create: true|evx|', 'exec_start: true|evx|', 'exec_die|evx|0', 'pause|evx|', 'unpause|evx|', 'rename|evy|', 'kill|evy|1', 'kill|evy|9', 'destroy|evy|',
      ]);
    });

    test('an event=start filter sees only the containers that started (dockerd publishes no daemon start event)', async () => {
      const r = await run(['events', '--since', '0', '--until', until(), '--filter', 'event=start', '--format', '{{.Type}} {{.Actor.Attributes.name}}']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), ['container evrm', 'container evx']);
    });

    test('label and image filters; relative --since; the default line format', async () => {
      const r = await run(['events', '--since', '5m', '--until', until(), '--filter', 'label=team=blue', '--filter', 'event=die']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container die [0-9a-f]{64} \(exitCode=2, image=busybox, name=evrm, team=blue\)\n$/);
      const img = await run(['events', '--since', String(start), '--until', until(), '--filter', 'image=busybox', '--filter', 'event=start', '--format', '{{.Actor.Attributes.name}}']);
      assert.deepEqual(img.stdout.trim().split('\n'), ['evrm', 'evx']);
    });
  });
}
