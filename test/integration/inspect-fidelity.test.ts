import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * Inspect JSON of created containers, field for field as dockerd 20.10
 * answers the same requests (expectations taken from the reference dockerd:
 * same CLI command lines and raw bodies, whole `docker inspect` diffed).
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

type Inspect = {
  Path: string;
  Args: string[];
  Config: Record<string, unknown>;
  HostConfig: Record<string, unknown>;
  Mounts: { Type: string; Destination: string }[];
};

describe('inspect matches dockerd for plain creates', () => {
  let h: BerthdHarness;

  before(async () => {
    h = await startBerthd('inspect-fidelity');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  async function createCli(name: string, args: readonly string[]): Promise<Inspect> {
    await runCli('docker', ['rm', '-f', name], { env: h.env });
    const r = await runCli('docker', ['create', '--name', name, ...args], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    return inspect(name);
  }

  async function inspect(name: string): Promise<Inspect> {
    const r = await api(h, 'GET', `/containers/${name}/json`);
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as Inspect;
  }

  test('lists the client did not send are null, as dockerd keeps them', async () => {
    const r = await api(h, 'POST', '/v1.41/containers/create?name=fid-raw', { Image: 'busybox' });
    assert.equal(r.status, 201, r.body);
    const hc = (await inspect('fid-raw')).HostConfig;
    for (const k of ['Dns', 'DnsOptions', 'DnsSearch', 'Devices', 'DeviceCgroupRules', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps',
      'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'Ulimits', 'PortBindings', 'PidsLimit', 'MemorySwappiness']) {
      assert.equal(hc[k], null, k);
    }
  });

  test('HostConfig prints in dockerd\'s field order (docker inspect output reads the same)', async () => {
    const r = await api(h, 'GET', '/v1.41/containers/fid-raw/json');
    const keys = Object.keys((JSON.parse(r.body) as { HostConfig: Record<string, unknown> }).HostConfig);
    // dockerd 20.10.24's order for the same container, as far as these fields go
    const dockerd = ['Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver', 'VolumesFrom', 'CapAdd', 'CapDrop',
      'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts',
      'ReadonlyRootfs', 'SecurityOpt', 'UTSMode', 'UsernsMode', 'ShmSize', 'Runtime', 'ConsoleSize', 'Isolation', 'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent',
      'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota',
      'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory', 'KernelMemoryTCP',
      'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'OomKillDisable', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth',
      'MaskedPaths', 'ReadonlyPaths'];
    const common = keys.filter((k) => dockerd.includes(k));
    assert.deepEqual(common, dockerd.filter((k) => common.includes(k)));
  });

  test('the CLI\'s empty lists stay empty, its -1 swappiness and pids limit become null', async () => {
    const hc = (await createCli('fid-cli', ['--pids-limit', '-1', '--memory-swappiness', '-1', 'busybox'])).HostConfig;
    assert.deepEqual(hc['Dns'], []);
    assert.deepEqual(hc['Devices'], []);
    assert.deepEqual(hc['PortBindings'], {});
    assert.equal(hc['PidsLimit'], null);
    assert.equal(hc['MemorySwappiness'], null);
    const kept = (await createCli('fid-pids', ['--pids-limit', '5', '--memory-swappiness', '10', 'busybox'])).HostConfig;
    assert.equal(kept['PidsLimit'], 5);
    assert.equal(kept['MemorySwappiness'], 10);
  });

  test('--entrypoint "" with a command stores a null entrypoint', async () => {
    const c = await createCli('fid-ep', ['--entrypoint=', 'busybox', 'true']);
    assert.equal(c.Config['Entrypoint'], null);
    assert.deepEqual(c.Config['Cmd'], ['true']);
    assert.equal(c.Path, 'true');
  });

  test('--entrypoint "" alone does not fall back to the image Cmd: 400 No command specified', async () => {
    const r = await api(h, 'POST', '/v1.41/containers/create?name=fid-ep-none', { Image: 'busybox', Entrypoint: [''] });
    assert.equal(r.status, 400);
    assert.equal((JSON.parse(r.body) as { message: string }).message, 'No command specified');
    const cli = await runCli('docker', ['create', '--entrypoint=', 'busybox'], { env: h.env });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /Error response from daemon: No command specified/);
  });

  test('--tmpfs is not a mount point; --mount type=tmpfs is', async () => {
    const c = await createCli('fid-tmpfs', ['--tmpfs', '/x', '--mount', 'type=tmpfs,dst=/y', 'busybox']);
    assert.deepEqual(c.HostConfig['Tmpfs'], { '/x': '' });
    assert.deepEqual(c.Mounts.map((m) => [m.Type, m.Destination]), [['tmpfs', '/y']]);
  });

  test('--init leaves Path and Args as the container command', async () => {
    const c = await createCli('fid-init', ['--init', 'busybox', 'sleep', '1']);
    assert.equal(c.Path, 'sleep');
    assert.deepEqual(c.Args, ['1']);
    assert.equal(c.HostConfig['Init'], true);
  });

  test('privileged, --pid host and --ipc host get label=disable unless a label option is given', async () => {
    const p = (await createCli('fid-priv', ['--privileged', '--security-opt', 'seccomp=unconfined', 'busybox'])).HostConfig;
    assert.deepEqual(p['SecurityOpt'], ['seccomp=unconfined', 'label=disable']);
    assert.equal(p['MaskedPaths'], null);
    assert.equal(p['ReadonlyPaths'], null);
    assert.deepEqual((await createCli('fid-pid', ['--pid', 'host', 'busybox'])).HostConfig['SecurityOpt'], ['label=disable']);
    assert.deepEqual((await createCli('fid-ipc', ['--ipc', 'host', 'busybox'])).HostConfig['SecurityOpt'], ['label=disable']);
    assert.deepEqual((await createCli('fid-lbl', ['--privileged', '--security-opt', 'label=disable', 'busybox'])).HostConfig['SecurityOpt'], ['label=disable']);
    assert.equal((await createCli('fid-plain', ['busybox'])).HostConfig['SecurityOpt'], null);
  });
});
