import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadBusybox, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const exec = promisify(execFile);

function api(h: BerthdHarness, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, method, path, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: text === '' ? undefined : (JSON.parse(text) as unknown) });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const volumeNames = async (h: BerthdHarness): Promise<string[]> =>
  ((await api(h, 'GET', '/volumes')).json as { Volumes: { Name: string }[] }).Volumes.map((v) => v.Name).sort();

describe('behaviour follows the API version in the request path', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('api-versioned');
    await loadBusybox(h);
  });
  after(async () => h?.stop());

  test('POST /volumes/prune keeps named volumes from API 1.42 on and removes them before (moby postVolumesPrune)', async () => {
    assert.equal((await api(h, 'POST', '/volumes/create', { Name: 'named-keep' })).status, 201);
    const current = (await api(h, 'POST', '/v1.50/volumes/prune')).json as { VolumesDeleted: string[] | null };
    assert.ok(!(current.VolumesDeleted ?? []).includes('named-keep'));
    assert.ok((await volumeNames(h)).includes('named-keep'));
    const old = (await api(h, 'POST', '/v1.41/volumes/prune')).json as { VolumesDeleted: string[] | null };
    assert.deepEqual(old.VolumesDeleted, ['named-keep']);
    assert.deepEqual(await volumeNames(h), []);
  });

  test('docker-py pinned to API 1.41 prunes named volumes as it does against dockerd 20.10', { skip: process.platform !== 'linux' }, async () => {
    assert.equal((await api(h, 'POST', '/volumes/create', { Name: 'py-named' })).status, 201);
    const script = [
      'import docker, json, sys',
      `c = docker.DockerClient(base_url='unix://${h.socket}', version='1.41')`,
      'print(json.dumps(c.volumes.prune()))',
    ].join('\n');
    const { stdout } = await exec('/usr/bin/python3', ['-c', script]);
    assert.deepEqual((JSON.parse(stdout) as { VolumesDeleted: string[] }).VolumesDeleted, ['py-named']);
  });

  test('GET /info has the fields of the request version: dockerd 20.10\'s for 1.41, moby 28\'s for 1.50', async () => {
    const old = Object.keys((await api(h, 'GET', '/v1.41/info')).json as object);
    // The key order dockerd 20.10 printed for this host (checked against Debian's docker.io).
    for (const [a, b] of [['SwapLimit', 'KernelMemory'], ['KernelMemory', 'KernelMemoryTCP'], ['IPv4Forwarding', 'BridgeNfIptables'], ['BridgeNfIptables', 'BridgeNfIp6tables']] as const) {
      assert.equal(old[old.indexOf(a) + 1], b, `${b} after ${a} in ${old.join(',')}`);
    }
    assert.ok(!old.includes('CDISpecDirs') && !old.includes('Containerd'));
    const oldBody = (await api(h, 'GET', '/v1.41/info')).json as { RuncCommit: { Expected?: string }; RegistryConfig: Record<string, unknown> };
    assert.equal(typeof oldBody.RuncCommit.Expected, 'string');
    assert.ok('AllowNondistributableArtifactsCIDRs' in oldBody.RegistryConfig);
    const now = (await api(h, 'GET', '/v1.50/info')).json as Record<string, unknown> & { RuncCommit: object; RegistryConfig: object };
    for (const gone of ['BridgeNfIptables', 'BridgeNfIp6tables', 'KernelMemory', 'KernelMemoryTCP']) assert.ok(!(gone in now), gone);
    assert.ok('CDISpecDirs' in now && 'Containerd' in now);
    assert.ok(!('Expected' in now.RuncCommit));
    assert.ok(!('AllowNondistributableArtifactsCIDRs' in now.RegistryConfig));
  });

  test('image inspect Config below API 1.50 is a whole container.Config, as dockerd 20.10 prints it; 1.50 omits the empty fields', async () => {
    const old = ((await api(h, 'GET', '/v1.41/images/busybox/json')).json as { Config: Record<string, unknown> }).Config;
    assert.deepEqual(Object.keys(old), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']);
    assert.equal(old['Entrypoint'], null);
    const now = ((await api(h, 'GET', '/v1.50/images/busybox/json')).json as { Config: Record<string, unknown> }).Config;
    assert.ok(!('Hostname' in now) && !('AttachStdin' in now) && !('Image' in now));
  });

  test('the image list shows null digests and labels below API 1.43 (dockerd 20.10) and empty ones from 1.43', async () => {
    const [old] = (await api(h, 'GET', '/v1.41/images/json')).json as Array<Record<string, unknown>>;
    assert.equal(old?.['RepoDigests'], null);
    assert.equal(old?.['Labels'], null);
    const [now] = (await api(h, 'GET', '/v1.50/images/json')).json as Array<Record<string, unknown>>;
    assert.deepEqual(now?.['RepoDigests'], []);
    assert.deepEqual(now?.['Labels'], {});
  });

  test('container inspect and list follow the request version; no-limit values are stored as dockerd stores them', async () => {
    const created = await api(h, 'POST', '/v1.41/containers/create?name=vers', { Image: 'busybox', Cmd: ['true'], HostConfig: { MemorySwappiness: -1, PidsLimit: 0 } });
    assert.equal(created.status, 201);
    const old = (await api(h, 'GET', '/v1.41/containers/vers/json')).json as { HostConfig: Record<string, unknown>; NetworkSettings: { Networks: Record<string, object> } };
    const keys = Object.keys(old.HostConfig);
    assert.equal(keys[keys.indexOf('DeviceRequests') + 1], 'KernelMemory');
    assert.equal(old.HostConfig['KernelMemoryTCP'], 0);
    // dockerd: MemorySwappiness -1 and PidsLimit <= 0 mean "no limit" and are stored as null.
    assert.equal(old.HostConfig['MemorySwappiness'], null);
    assert.equal(old.HostConfig['PidsLimit'], null);
    assert.ok(!('DNSNames' in (old.NetworkSettings.Networks['bridge'] ?? {})) && !('GwPriority' in (old.NetworkSettings.Networks['bridge'] ?? {})));
    const now = (await api(h, 'GET', '/v1.50/containers/vers/json')).json as { HostConfig: Record<string, unknown>; NetworkSettings: { Networks: Record<string, object> } };
    assert.ok(!('KernelMemory' in now.HostConfig));
    assert.ok('DNSNames' in (now.NetworkSettings.Networks['bridge'] ?? {}) && 'GwPriority' in (now.NetworkSettings.Networks['bridge'] ?? {}));
    const [row] = (await api(h, 'GET', '/v1.41/containers/json?all=1')).json as Array<{ NetworkSettings: { Networks: Record<string, object> } }>;
    assert.ok(!('GwPriority' in (row?.NetworkSettings.Networks['bridge'] ?? {})));
    assert.equal((await api(h, 'DELETE', '/containers/vers')).status, 204);
  });

  test('GET /system/df: BuilderSize and a null BuildCache below API 1.42, list shapes per version, no SizeRw for a container that wrote nothing', async () => {
    assert.equal((await api(h, 'POST', '/containers/create?name=dfc', { Image: 'busybox', Cmd: ['true'] })).status, 201);
    const old = (await api(h, 'GET', '/v1.41/system/df')).json as Record<string, unknown> & { Images: Array<Record<string, unknown>>; Containers: Array<Record<string, unknown>> };
    assert.equal(old['BuilderSize'], 0);
    assert.equal(old['BuildCache'], null);
    assert.equal(old.Images[0]?.['VirtualSize'], old.Images[0]?.['Size']);
    assert.ok(!('SizeRw' in (old.Containers[0] ?? {})));
    const now = (await api(h, 'GET', '/v1.50/system/df')).json as Record<string, unknown> & { Images: Array<Record<string, unknown>> };
    assert.ok(!('BuilderSize' in now));
    assert.deepEqual(now['BuildCache'], []);
    assert.ok(!('VirtualSize' in (now.Images[0] ?? {})));
    assert.equal((await api(h, 'DELETE', '/containers/dfc')).status, 204);
  });
});
