import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { loadBusybox, mountsUnder, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

interface ApiReply {
  readonly status: number;
  readonly body: string;
}

function api(h: BerthdHarness, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, method, path, headers: body !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const messageOf = (r: ApiReply): string => (JSON.parse(r.body) as { message: string }).message;

/** What the field ledger's refusals must never change. */
async function hostState(h: BerthdHarness): Promise<string> {
  const containers = (await api(h, 'GET', '/containers/json?all=1')).body;
  const networks = (await api(h, 'GET', '/networks')).body.replace(/"Created":"[^"]*"/g, '');
  const dirs = await readdir(`${h.dataRoot}/containers`).catch(() => []);
  return JSON.stringify({ containers, networks, dirs, mounts: (await mountsUnder(h.root)).length });
}

describe('fields the API field ledger refuses get an error before anything is created', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('ledger-refusals');
    await loadBusybox(h);
  });
  after(async () => h?.stop());

  test('docker run --gpus (HostConfig.DeviceRequests) is refused with dockerd-without-a-GPU-driver text, exit 125', async () => {
    const beforeState = await hostState(h);
    const r = await runCli('docker', ['run', '--rm', '--gpus', 'all', 'busybox', 'true'], { env: h.env });
    assert.equal(r.code, 125);
    assert.match(r.stderr, /could not select device driver "" with capabilities: \[\[gpu\]\]/);
    assert.equal(await hostState(h), beforeState);
  });

  test('a refused field nested in Mounts[] (BindOptions.ReadOnlyForceRecursive) is a 400 and creates nothing', async () => {
    const beforeState = await hostState(h);
    const body = { Image: 'busybox', Cmd: ['true'], HostConfig: { Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { ReadOnlyForceRecursive: true } }] } };
    const r = await api(h, 'POST', '/containers/create?name=nonrecursive', body);
    assert.equal(r.status, 400);
    assert.match(messageOf(r), /ReadOnlyForceRecursive is not supported/);
    assert.equal(await hostState(h), beforeState);
  });

  test('zero values of refused fields, as the docker CLI sends them, are accepted', async () => {
    const body = { Image: 'busybox', Cmd: ['true'], HostConfig: { DeviceRequests: null, Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/x', BindOptions: { ReadOnlyForceRecursive: false } }] } };
    const r = await api(h, 'POST', '/containers/create?name=zeroes', body);
    assert.equal(r.status, 201, r.body);
    assert.equal((await api(h, 'DELETE', '/containers/zeroes')).status, 204);
  });

  test('network create with EnableIPv4 false is refused; true (the default) is accepted', async () => {
    const beforeState = await hostState(h);
    const r = await api(h, 'POST', '/v1.50/networks/create', { Name: 'v6only', EnableIPv4: false, EnableIPv6: true });
    assert.equal(r.status, 400);
    assert.match(messageOf(r), /IPv6-only networks/);
    assert.equal(await hostState(h), beforeState);
    const ok = await api(h, 'POST', '/v1.50/networks/create', { Name: 'v4net', EnableIPv4: true });
    assert.equal(ok.status, 201, ok.body);
    assert.equal((await api(h, 'DELETE', '/networks/v4net')).status, 204);
  });

  test('POST /build?version=2 (BuildKit) is refused before the context is read; version=1 builds', async () => {
    const r = await api(h, 'POST', '/build?version=2&t=x');
    assert.equal(r.status, 400);
    assert.match(messageOf(r), /BuildKit \(builder version 2\) is not supported by berth/);
    const squash = await api(h, 'POST', '/build?squash=1');
    assert.equal(squash.status, 400);
    assert.equal(messageOf(squash), 'squash is only supported with experimental mode');
  });

  test('an operation the ledger refuses and no route serves answers with the ledger error (plugin install)', async () => {
    const r = await api(h, 'POST', '/plugins/pull?remote=vieux/sshfs', []);
    assert.equal(r.status, 501);
    assert.match(messageOf(r), /managed plugins are not supported by berth yet/);
  });
});
