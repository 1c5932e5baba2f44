import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCgroupV2Dir } from '../../src/engine/containers/stats-cgroup.js';

// File contents in the formats of the kernel's Documentation/admin-guide/cgroup-v2.rst.
const FILES: Readonly<Record<string, string>> = {
  'cpu.stat': 'usage_usec 2500000\nuser_usec 1500000\nsystem_usec 1000000\nnr_periods 40\nnr_throttled 3\nthrottled_usec 12000\nnr_bursts 0\nburst_usec 0\n',
  'memory.current': '52428800\n',
  'memory.max': '268435456\n',
  'memory.stat': 'anon 20971520\nfile 31457280\nkernel 1048576\nkernel_stack 65536\nsock 0\nshmem 0\nfile_mapped 4096\nactive_anon 0\ninactive_anon 20971520\nactive_file 1048576\ninactive_file 30408704\npgfault 12345\npgmajfault 6\n',
  'io.stat': '8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n',
  'pids.current': '7\n',
  'pids.max': 'max\n',
};

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'h3-cgv2-'));
  for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('cpu.stat: usage, user and system in ns; throttling', async () => {
  const s = await readCgroupV2Dir(dir);
  assert.equal(s.cpuTotalNs, 2_500_000_000);
  assert.equal(s.cpuUserNs, 1_500_000_000);
  assert.equal(s.cpuKernelNs, 1_000_000_000);
  assert.equal(s.perCpuNs, undefined);
  assert.deepEqual(s.throttling, { periods: 40, throttled_periods: 3, throttled_time: 12_000_000 });
});

test('memory.current, memory.max, memory.stat', async () => {
  const s = await readCgroupV2Dir(dir);
  assert.equal(s.memoryUsage, 52_428_800);
  assert.equal(s.memoryLimit, 268_435_456);
  assert.equal(s.memoryStat['anon'], 20_971_520);
  assert.equal(s.memoryStat['inactive_file'], 30_408_704);
  assert.equal(s.memoryStat['pgmajfault'], 6);
  assert.equal(s.memoryMaxUsage, undefined);
  assert.equal(s.memoryFailcnt, undefined);
});

test('io.stat: bytes and ops per device as read/write entries', async () => {
  const s = await readCgroupV2Dir(dir);
  assert.deepEqual(s.ioBytes, [
    { major: 8, minor: 16, op: 'read', value: 1_459_200 },
    { major: 8, minor: 16, op: 'write', value: 314_773_504 },
    { major: 8, minor: 0, op: 'read', value: 90_430_464 },
    { major: 8, minor: 0, op: 'write', value: 299_008_000 },
  ]);
  assert.deepEqual(s.ioOps, [
    { major: 8, minor: 16, op: 'read', value: 192 },
    { major: 8, minor: 16, op: 'write', value: 353 },
    { major: 8, minor: 0, op: 'read', value: 8950 },
    { major: 8, minor: 0, op: 'write', value: 1252 },
  ]);
});

test('pids.current; "max" limits read as none', async () => {
  const s = await readCgroupV2Dir(dir);
  assert.equal(s.pidsCurrent, 7);
  assert.equal(s.pidsLimit, undefined);
  const unlimited = await mkdtemp(join(tmpdir(), 'h3-cgv2-max-'));
  try {
    await writeFile(join(unlimited, 'memory.max'), 'max\n');
    const u = await readCgroupV2Dir(unlimited);
    assert.equal(u.memoryLimit, 0, 'no limit: the engine substitutes the host memory');
    assert.equal(u.memoryUsage, 0, 'absent files read as zero');
    assert.deepEqual(u.ioBytes, []);
  } finally {
    await rm(unlimited, { recursive: true, force: true });
  }
});
