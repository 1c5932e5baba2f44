import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// The container sees its own cgroup at /sys/fs/cgroup/<controller> (v1, cgroupns host: under its path).
const cg = (controller: string, file: string): string =>
  `f=$(find /sys/fs/cgroup/${controller}/ -name ${file} 2>/dev/null | xargs -r dirname | awk '{print length, $0}' | sort -n | tail -1 | cut -d' ' -f2-); cat "$f/${file}"`;

for (const cli of ['docker', 'berth'] as const) {
describe(`resource limits via ${cli}`, () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd(`resources-${cli}`);
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('memory, swap, reservation, cpus, shares, cpuset, pids land in the cgroup', async () => {
    const script = [
      cg('memory', 'memory.limit_in_bytes'),
      cg('memory', 'memory.memsw.limit_in_bytes'),
      cg('memory', 'memory.soft_limit_in_bytes'),
      cg('cpu', 'cpu.cfs_quota_us'),
      cg('cpu', 'cpu.cfs_period_us'),
      cg('cpu', 'cpu.shares'),
      cg('cpuset', 'cpuset.cpus'),
      cg('pids', 'pids.max'),
    ].join('; ');
    const r = await run([
      'run', '--rm', '-m', '64m', '--memory-swap', '96m', '--memory-reservation', '32m', '--cpus', '0.5', '--cpu-shares', '512',
      '--cpuset-cpus', '0', '--pids-limit', '42', 'busybox', 'sh', '-c', script,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      String(64 * 1024 * 1024), String(96 * 1024 * 1024), String(32 * 1024 * 1024), '50000', '100000', '512', '0', '42',
    ]);
  });

  test('inspect shows the HostConfig resources; -m alone gives twice the swap', async () => {
    const r = await run(['create', '--name', 'res', '-m', '32m', '--cpu-period', '50000', '--cpu-quota', '25000', '--pids-limit', '10', '--ulimit', 'nofile=100:200', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const i = await run(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.PidsLimit}} {{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}}', 'res']);
    assert.equal(i.stdout.trim(), `${32 << 20} ${64 << 20} 50000 25000 10 nofile=100:200`);
  });

  test('--ulimit, --shm-size and --oom-kill-disable reach the container', async () => {
    const r = await run([
      'run', '--rm', '--ulimit', 'nofile=100:200', '--shm-size', '16m', '-m', '32m', '--oom-kill-disable', 'busybox', 'sh', '-c',
      `ulimit -n; ulimit -Hn; df -k /dev/shm | tail -1 | awk '{print $2}'; ${cg('memory', 'memory.oom_control')} | head -1`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['100', '200', '16384', 'oom_kill_disable 1']);
  });

  test('a container over its memory limit is OOM-killed: exit 137, OOMKilled=true', async () => {
    const r = await run(['run', '--name', 'oom', '-m', '8m', '--memory-swap', '8m', 'busybox', 'sh', '-c', 'x=a; while true; do x="$x$x"; done']);
    assert.equal(r.code, 137, r.stderr);
    const i = await run(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']);
    assert.equal(i.stdout.trim(), 'true 137');
  });

  test('bad values are rejected with Docker messages and nothing is created', async () => {
    const cases: [string[], RegExp][] = [
      [['-m', '64m', '--memory-swap', '32m'], /Minimum memoryswap limit should be larger than memory limit/],
      [['-m', '4m'], /Minimum memory limit allowed is 6MB/],
      [['-m', '16m', '--memory-reservation', '32m'], /Minimum memory limit can not be less than memory reservation limit/],
      [['--cpus', '64'], /Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available/],
      [['--cpuset-cpus', '63'], /Requested CPUs are not available - requested 63, available: /],
      [['--cpu-period', '10'], /CPU cfs period can not be less than 1ms/],
      [['--blkio-weight', '5'], /Range of blkio weight is from 10 to 1000/],
    ];
    for (const [flags, message] of cases) {
      const r = await run(['create', ...flags, 'busybox', 'true']);
      assert.notEqual(r.code, 0, flags.join(' '));
      assert.match(r.stderr, message, flags.join(' '));
    }
    const ps = await run(['ps', '-aq', '--filter', 'name=^/[a-z]+_[a-z]+$']);
    assert.equal(ps.stdout.trim(), '');
  });
});

describe(`update via ${cli}`, () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
  before(async () => {
    h = await startBerthd(`update-${cli}`);
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('changes a running container\'s cgroup and restart policy', async () => {
    assert.equal((await run(['run', '-d', '--name', 'up', '-m', '32m', 'busybox', 'sleep', '600'])).code, 0);
    const u = await run(['update', '-m', '48m', '--memory-swap', '96m', '--cpus', '0.25', '--pids-limit', '20', '--restart', 'on-failure:3', 'up']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout, 'up\n');
    const r = await run(['exec', 'up', 'sh', '-c', [cg('memory', 'memory.limit_in_bytes'), cg('cpu', 'cpu.cfs_quota_us'), cg('pids', 'pids.max')].join('; ')]);
    assert.deepEqual(r.stdout.trim().split('\n'), [String(48 << 20), '25000', '20']);
    const i = await run(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'up']);
    assert.equal(i.stdout.trim(), `${48 << 20} 250000000 on-failure:3`);
  });

  test('bad updates are refused and change nothing', async () => {
    const bad = await run(['update', '--memory-swap', '8m', '-m', '16m', 'up']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Minimum memoryswap limit should be larger than memory limit/);
    const i = await run(['inspect', '-f', '{{.HostConfig.Memory}}', 'up']);
    assert.equal(i.stdout.trim(), String(48 << 20));
    const missing = await run(['update', '-m', '16m', 'nope']);
    assert.match(missing.stderr, /No such container: nope/);
  });
});
}
