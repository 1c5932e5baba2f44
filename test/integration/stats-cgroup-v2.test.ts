import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { readCgroupV2Dir } from '../../src/engine/containers/stats-cgroup.js';

/**
 * The cgroup v2 stats reader on a real cgroup2 hierarchy. This host is hybrid
 * (v1 controllers, cgroup2 at /sys/fs/cgroup/unified without controllers), so
 * containers cannot run on v2 here; a child cgroup with a busy process in it
 * shows what the reader gets from the files the kernel does provide.
 */
const UNIFIED = '/sys/fs/cgroup/unified';

async function isCgroup2Mount(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  return mounts.split('\n').some((l) => {
    const [, mountpoint, fstype] = l.split(' ');
    return mountpoint === path && fstype === 'cgroup2';
  });
}

test('reads cpu.stat (and whatever else is there) from a live cgroup2 child', async (t) => {
  if (!(await isCgroup2Mount(UNIFIED))) {
    t.skip(`${UNIFIED} is not a cgroup2 mount`);
    return;
  }
  const dir = `${UNIFIED}/h3-stats-${randomBytes(4).toString('hex')}`;
  await mkdir(dir);
  const child = spawn('sh', ['-c', 'read _; i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; exec sleep 60'], { stdio: ['pipe', 'ignore', 'ignore'] });
  try {
    assert.ok(child.pid);
    await writeFile(`${dir}/cgroup.procs`, String(child.pid));
    assert.match(await readFile(`/proc/${child.pid}/cgroup`, 'utf8'), new RegExp(`^0::/${dir.slice(UNIFIED.length + 1)}$`, 'm'));
    child.stdin.end('go\n');
    let s = await readCgroupV2Dir(dir);
    for (let i = 0; i < 100 && s.cpuTotalNs < 50_000_000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = await readCgroupV2Dir(dir);
    }
    assert.ok(s.cpuTotalNs >= 50_000_000, `cpu usage seen: ${s.cpuTotalNs} ns`);
    assert.ok(s.cpuUserNs + s.cpuKernelNs > 0);
    assert.ok(s.cpuUserNs <= s.cpuTotalNs + 10_000_000);
    const controllers = (await readFile(`${dir}/cgroup.controllers`, 'utf8')).trim().split(/\s+/);
    if (controllers.includes('pids')) assert.ok(s.pidsCurrent >= 1);
    if (controllers.includes('memory')) assert.ok(s.memoryUsage > 0);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 50; i++) {
      try {
        await rmdir(dir);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
});
