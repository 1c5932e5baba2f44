import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * StorageOpt, Isolation and the CPU real-time fields, answered as dockerd
 * 20.10 answers them on this host (expectations from the reference dockerd:
 * overlay2 on tmpfs, cgroup v1 with RT group scheduling and no RT budget for
 * the daemon's parent cgroup). dockerd's errors here are plain ones: 500s.
 */

interface ApiReply {
  status: number;
  body: string;
}

function api(h: BerthdHarness, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: h.socket, method, path, headers: payload !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const messageOf = (r: ApiReply): string => (JSON.parse(r.body) as { message: string }).message;

describe('StorageOpt, Isolation, CpuRealtime*', () => {
  let h: BerthdHarness;

  before(async () => {
    h = await startBerthd('create-host-fields');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  const create = (name: string, hostConfig: Record<string, unknown>): Promise<ApiReply> =>
    api(h, 'POST', `/v1.41/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig });

  /** A refused create leaves no record and no container dir. */
  async function assertRefusedCleanly(name: string, hostConfig: Record<string, unknown>, message: string): Promise<void> {
    const dirsBefore = await readdir(`${h.dataRoot}/containers`).catch(() => []);
    const r = await create(name, hostConfig);
    assert.equal(r.status, 500, r.body);
    assert.equal(messageOf(r), message);
    assert.equal((await api(h, 'GET', `/containers/${name}/json`)).status, 404);
    assert.deepEqual(await readdir(`${h.dataRoot}/containers`).catch(() => []), dirsBefore);
  }

  test('--storage-opt size on overlay without xfs project quotas: dockerd\'s refusal at create', async () => {
    await assertRefusedCleanly('so-size', { StorageOpt: { size: '10G' } }, "--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
    const cli = await runCli('docker', ['create', '--storage-opt', 'size=1G', 'busybox'], { env: h.env });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /Error response from daemon: --storage-opt is supported only for overlay over xfs with 'pquota' mount option/);
  });

  test('an unknown storage option is refused; an empty map is fine', async () => {
    await assertRefusedCleanly('so-foo', { StorageOpt: { Foo: 'bar' } }, 'Unknown option foo');
    const ok = await create('so-empty', { StorageOpt: {} });
    assert.equal(ok.status, 201, ok.body);
  });

  test('an invalid isolation is refused with dockerd\'s text; default in any case and empty are accepted', async () => {
    await assertRefusedCleanly('iso-bad', { Isolation: 'hyperv' }, `Invalid isolation: "hyperv" - linux only supports 'default'`);
    for (const [name, isolation] of [['iso-default', 'default'], ['iso-upper', 'DEFAULT'], ['iso-empty', '']] as const) {
      const r = await create(name, { Isolation: isolation });
      assert.equal(r.status, 201, r.body);
      const i = JSON.parse((await api(h, 'GET', `/containers/${name}/json`)).body) as { HostConfig: { Isolation: string } };
      assert.equal(i.HostConfig.Isolation, isolation);
      assert.equal((await api(h, 'POST', `/containers/${name}/start`)).status, 204);
    }
  });

  test('cpu-rt-runtime above cpu-rt-period is refused at create', async () => {
    await assertRefusedCleanly('rt-high', { CpuRealtimePeriod: 100, CpuRealtimeRuntime: 1000 }, 'cpu real-time runtime cannot be higher than cpu real-time period');
  });

  const rtHost = existsSync('/sys/fs/cgroup/cpu/cpu.rt_runtime_us');
  test('cpu-rt fields are stored and reach the cgroup: with no RT budget for the parent, runc refuses at start', { skip: !rtHost && 'needs cgroup v1 RT group scheduling' }, async () => {
    const c = await runCli('docker', ['create', '--name', 'rt-run', '--cpu-rt-runtime', '1000', '--cpu-rt-period', '2000', 'busybox', 'true'], { env: h.env });
    assert.equal(c.code, 0, c.stderr);
    const i = await runCli('docker', ['inspect', '-f', '{{.HostConfig.CpuRealtimeRuntime}} {{.HostConfig.CpuRealtimePeriod}}', 'rt-run'], { env: h.env });
    assert.equal(i.stdout.trim(), '1000 2000');
    const s = await api(h, 'POST', '/containers/rt-run/start');
    assert.equal(s.status, 500);
    assert.match(messageOf(s), /unable to apply cgroup configuration: failed to write "1000": write \/sys\/fs\/cgroup\/cpu\/.*\/cpu\.rt_runtime_us: invalid argument/);
    const period = await create('rt-period', { CpuRealtimePeriod: 1000000 });
    assert.equal(period.status, 201, period.body);
    assert.equal((await api(h, 'POST', '/containers/rt-period/start')).status, 204);
  });
});
