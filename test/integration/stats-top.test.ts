import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

for (const cli of ['docker', 'berth'] as const) {
  describe(`stats and top via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });

    before(async () => {
      h = await startBerthd(`stats-${cli}`);
      await loadBusybox(h);
      const r = await run(['run', '-d', '--name', 'st', '-m', '64m', 'busybox', 'sh', '-c', 'sleep 600 & sleep 600 & while true; do :; done']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await run(['create', '--name', 'idle', 'busybox', 'true'])).code, 0);
    });
    after(async () => {
      await h?.stop();
    });

    test('stats --no-stream: the table with CPU, memory against the limit and PIDs', async () => {
      const r = await run(['stats', '--no-stream']);
      assert.equal(r.code, 0, r.stderr);
      const [header, row, extra] = r.stdout.split('\n');
      assert.match(header ?? '', /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
      assert.match(row ?? '', /^[0-9a-f]{12}\s+st\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ 64MiB\s+\d+\.\d\d%\s+\S+ \/ \S+\s+\S+ \/ \S+\s+3$/);
      assert.equal(extra, '', 'only running containers');
      const cpu = await run(['stats', '--no-stream', '--format', '{{.CPUPerc}}', 'st']);
      assert.ok(Number.parseFloat(cpu.stdout) > 10, `a busy loop shows CPU use: ${cpu.stdout}`);
      const all = await run(['stats', '--no-stream', '-a', '--format', '{{.Name}} {{.MemUsage}}']);
      assert.deepEqual(all.stdout.trim().split('\n').sort(), ['idle 0B / 0B', ...all.stdout.trim().split('\n').filter((l) => l.startsWith('st '))].sort());
    });

    test('top lists the container processes, with ps options', async () => {
      const r = await run(['top', 'st']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.match(lines[0] ?? '', /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.equal(lines.filter((l) => /sleep 600$/.test(l)).length, 2);
      const o = await run(['top', 'st', '-o', 'pid,comm']);
      assert.deepEqual(o.stdout.trim().split('\n').map((l) => l.split(/\s+/)[1]).sort(), ['COMMAND', 'sh', 'sleep', 'sleep'].sort());
      const stopped = await run(['top', 'idle']);
      assert.notEqual(stopped.code, 0);
      assert.match(stopped.stderr, /is not running/);
    });
  });
}
