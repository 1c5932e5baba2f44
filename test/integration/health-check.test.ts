import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const cli of ['docker', 'berth'] as const) {
describe(`health checks via ${cli}`, () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
  const health = async (name: string): Promise<{ Status: string; FailingStreak: number; Log: { ExitCode: number; Output: string }[] } | null> =>
    JSON.parse((await run(['inspect', '-f', '{{json .State.Health}}', name])).stdout) as never;
  const waitStatus = async (name: string, status: string, ms = 15_000): Promise<string> => {
    let s = '';
    for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
      s = (await health(name))?.Status ?? '';
      if (s === status) break;
    }
    return s;
  };
  let since = 0;

  before(async () => {
    h = await startBerthd(`health-${cli}`);
    await loadBusybox(h);
    since = Math.floor(Date.now() / 1000) - 1;
  });
  after(async () => {
    await h?.stop();
  });

  test('--health-cmd: starting, then healthy; ps shows it; the log keeps the probes', async () => {
    const r = await run(['run', '-d', '--name', 'hok', '--health-cmd', 'echo probe-ok', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    // The first probe comes one interval after the start: with an hour, it stays "starting".
    const slow = await run(['run', '-d', '--name', 'hslow', '--health-cmd', 'true', '--health-interval', '1h', 'busybox', 'sleep', '600']);
    assert.equal(slow.code, 0, slow.stderr);
    assert.deepEqual(await health('hslow'), { Status: 'starting', FailingStreak: 0, Log: [] });
    assert.match((await run(['ps', '--filter', 'name=hslow', '--format', '{{.Status}}'])).stdout, /^Up .* \(health: starting\)\n$/);
    assert.equal(await waitStatus('hok', 'healthy'), 'healthy');
    assert.match((await run(['ps', '--filter', 'name=hok', '--format', '{{.Status}}'])).stdout, /^Up .* \(healthy\)\n$/);
    await sleep(2500);
    const hs = await health('hok');
    assert.equal(hs?.FailingStreak, 0);
    assert.equal(hs?.Log.length, 5, 'only the last five probes are kept');
    assert.deepEqual(hs?.Log.map((l) => [l.ExitCode, l.Output]), Array(5).fill([0, 'probe-ok\n']));
  });

  test('failing probes make it unhealthy after Retries; a timeout is exit -1', async () => {
    const r = await run(['run', '-d', '--name', 'hbad', '--health-cmd', 'sleep 5', '--health-interval', '200ms', '--health-timeout', '300ms', '--health-retries', '2', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await waitStatus('hbad', 'unhealthy'), 'unhealthy');
    const hs = await health('hbad');
    assert.ok((hs?.FailingStreak ?? 0) >= 2);
    assert.deepEqual(hs?.Log[0], { ...hs?.Log[0], ExitCode: -1, Output: 'Health check exceeded timeout (300ms)' });
    assert.match((await run(['ps', '--filter', 'name=hbad', '--format', '{{.Status}}'])).stdout, /\(unhealthy\)/);
  });

  test('failures inside --health-start-period do not count', async () => {
    const r = await run(['run', '-d', '--name', 'hstart', '--health-cmd', 'exit 1', '--health-interval', '200ms', '--health-retries', '1', '--health-start-period', '30s', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    await sleep(1500);
    const hs = await health('hstart');
    assert.equal(hs?.Status, 'starting');
    assert.equal(hs?.FailingStreak, 0);
    assert.ok((hs?.Log.length ?? 0) >= 2);
  });

  test('--no-healthcheck has no State.Health', async () => {
    const r = await run(['run', '-d', '--name', 'hnone', '--no-healthcheck', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await health('hnone'), null);
    assert.match((await run(['ps', '--filter', 'name=hnone', '--format', '{{.Status}}'])).stdout, /^Up [^(]*\n$/);
  });

  test('health_status events', async () => {
    const r = await run(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'event=health_status', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes('health_status: healthy hok'), lines.join(','));
    assert.ok(lines.includes('health_status: unhealthy hbad'), lines.join(','));
  });
});
}
