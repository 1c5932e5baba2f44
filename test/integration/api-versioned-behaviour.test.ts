import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

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
});
