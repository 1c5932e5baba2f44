import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRecordedProcess, PortProxyRecords, processFacts, type PortProxyRecord } from '../../src/network/port-proxy-record.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function store(): Promise<PortProxyRecords> {
  const d = await mkdtemp(join(tmpdir(), 'port-proxy-record-'));
  dirs.push(d);
  return new PortProxyRecords(join(d, 'port-proxies'));
}

const record = (over: Partial<PortProxyRecord> = {}): PortProxyRecord => ({
  pid: 1234,
  startTime: '42',
  containerId: 'c'.repeat(64),
  proto: 'tcp',
  hostIp: '::',
  hostPort: 8080,
  containerIp: '10.0.0.2',
  containerPort: 80,
  ...over,
});

test('records are written, listed and removed; one file per mapping', async () => {
  const s = await store();
  assert.deepEqual(await s.list(), []);
  await s.write(record());
  await s.write(record({ hostIp: '', pid: 99 }));
  await s.write(record({ pid: 100 })); // same mapping: replaces the first
  const listed = (await s.list()).sort((a, b) => a.pid - b.pid);
  assert.deepEqual(listed.map((r) => [r.pid, r.hostIp]), [[99, ''], [100, '::']]);
  for (const r of listed) await s.remove(r);
  assert.deepEqual(await readdir(s.dir), []);
});

test('unreadable records and temp files a crash left are removed by list()', async () => {
  const s = await store();
  await s.write(record());
  await writeFile(join(s.dir, 'broken.json'), '{"pid":');
  await writeFile(join(s.dir, 'half.json'), JSON.stringify({ pid: 1 }));
  await writeFile(join(s.dir, '.x.json.tmp-abc'), '{}');
  assert.equal((await s.list()).length, 1);
  assert.equal((await readdir(s.dir)).length, 1);
});

test('a recorded process is told from another one with the same pid by its start time and name', async () => {
  const self = await processFacts(process.pid);
  assert.ok(self);
  assert.match(self.startTime, /^\d+$/);
  // Not a berth-proxy: never taken for one, even with the right start time.
  assert.equal(await isRecordedProcess({ pid: process.pid, startTime: self.startTime }), false);
  const child = spawn('sleep', ['5'], { stdio: 'ignore' });
  const facts = await processFacts(child.pid ?? 0);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(facts?.comm, 'sleep');
  assert.equal(await processFacts(child.pid ?? 0), undefined, 'a reaped process has no facts');
  assert.equal(await isRecordedProcess({ pid: 2 ** 22 + 1, startTime: '1' }), false);
});
