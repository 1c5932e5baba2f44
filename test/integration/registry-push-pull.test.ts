import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

describe('push to and pull from berth registry', () => {
  let reg: TestRegistry;
  let src: BerthdHarness;
  let dst: BerthdHarness;
  let image: string;
  let digest = '';
  const docker = (h: BerthdHarness, args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 120_000 });
  const berth = (h: BerthdHarness, args: string[]) => runCli('berth', args, { env: h.env, timeoutMs: 120_000 });

  before(async () => {
    reg = await startRegistry('pushpull');
    src = await startBerthd('reg-src', { bridge: 'none' });
    dst = await startBerthd('reg-dst', { bridge: 'none' });
    await loadBusybox(src);
    image = `${reg.host}/busybox`;
  });
  after(async () => {
    await src?.stop();
    await dst?.stop();
    await reg?.stop();
  });

  test('docker push uploads every layer and prints the digest', async () => {
    assert.equal((await docker(src, ['tag', 'busybox', `${image}:latest`])).code, 0);
    const r = await docker(src, ['push', `${image}:latest`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`The push refers to repository \\[${image}\\]`));
    assert.match(r.stdout, /[a-f0-9]{12}: Pushed/);
    const m = /latest: digest: (sha256:[a-f0-9]{64}) size: \d+/.exec(r.stdout);
    assert.ok(m, r.stdout);
    digest = m[1] ?? '';
  });

  test('a second push finds the layers in the registry', async () => {
    const r = await berth(src, ['push', `${image}:latest`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Layer already exists/);
    assert.match(r.stdout, new RegExp(`latest: digest: ${digest}`));
  });

  test('push to another repository mounts the layers', async () => {
    assert.equal((await docker(src, ['tag', 'busybox', `${reg.host}/other/bb:v1`])).code, 0);
    const r = await docker(src, ['push', `${reg.host}/other/bb:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Mounted from busybox/);
  });

  test('docker pull into a second daemon shows Docker progress, then runs', async () => {
    const r = await docker(dst, ['pull', image]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /latest: Pulling from busybox/);
    assert.match(r.stdout, /[a-f0-9]{12}: Pull complete/);
    assert.match(r.stdout, new RegExp(`Digest: ${digest}`));
    assert.match(r.stdout, new RegExp(`Status: Downloaded newer image for ${image}:latest`));
    const run = await docker(dst, ['run', '--rm', image, 'echo', 'pulled']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'pulled\n');
    const inspect = await docker(dst, ['image', 'inspect', '--format', '{{json .RepoDigests}}', image]);
    assert.match(inspect.stdout, new RegExp(`${image}@${digest}`));
  });

  test('pulling again is up to date', async () => {
    const r = await berth(dst, ['pull', image]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Status: Image is up to date for ${image}:latest`));
  });

  test('pull by digest', async () => {
    assert.equal((await docker(dst, ['rmi', '-f', image])).code, 0);
    const r = await berth(dst, ['pull', `${image}@${digest}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Already exists|Pull complete/);
    const ls = await docker(dst, ['images', '--digests', '--format', '{{.Repository}} {{.Digest}}']);
    assert.match(ls.stdout, new RegExp(`${image} ${digest}`));
  });

  test('an index is resolved to the platform asked for', async () => {
    const base = `http://127.0.0.1:${reg.port}/v2/busybox`;
    const manifest = await fetch(`${base}/manifests/${digest}`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    const size = Number(manifest.headers.get('content-length'));
    const entry = (arch: string) => ({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest, size, platform: { architecture: arch, os: 'linux' } });
    const index = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [entry('arm64'), entry('amd64')] });
    const put = await fetch(`${base}/manifests/multi`, { method: 'PUT', body: index, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(put.status, 201);
    const indexDigest = put.headers.get('docker-content-digest') ?? '';
    const r = await docker(dst, ['pull', `${image}:multi`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${indexDigest}`));
    const bad = await docker(dst, ['pull', '--platform', 'linux/s390x', `${image}:multi`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
  });

  test('run of a missing image pulls it', async () => {
    await docker(dst, ['rmi', '-f', `${image}@${digest}`]);
    const r = await docker(dst, ['run', '--rm', `${reg.host}/other/bb:v1`, 'echo', 'auto']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Unable to find image/);
    assert.equal(r.stdout, 'auto\n');
  });

  test('the raw API stream carries Docker progress messages in order', async () => {
    // every reference goes, so the layers must come from the registry again
    const ids = (await docker(dst, ['images', '-q'])).stdout.split('\n').filter((l) => l !== '');
    for (const id of new Set(ids)) await docker(dst, ['rmi', '-f', id]);
    const socket = (dst.env['DOCKER_HOST'] ?? '').replace('unix://', '');
    const r = await runCli('docker', ['version'], { env: dst.env });
    assert.equal(r.code, 0);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'POST', path: `/v1.47/images/create?fromImage=${encodeURIComponent(`${reg.host}/other/bb`)}&tag=v1` }, (res) => {
        let text = '';
        res.on('data', (b: Buffer) => (text += b.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    const messages = body.trim().split('\n').map((l) => JSON.parse(l) as { status?: string; id?: string; progressDetail?: { current?: number; total?: number } });
    const statuses = messages.map((m) => m.status ?? '');
    const order = ['Pulling from other/bb', 'Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete'];
    let at = 0;
    for (const want of order) {
      const i = statuses.indexOf(want, at);
      assert.ok(i >= at, `${want} after index ${at} in ${statuses.join(', ')}`);
      at = i;
    }
    const downloading = messages.find((m) => m.status === 'Downloading');
    assert.ok((downloading?.progressDetail?.total ?? 0) > 0 && (downloading?.progressDetail?.current ?? 0) > 0);
    assert.match(statuses.at(-1) ?? '', new RegExp(`Status: Downloaded newer image for ${reg.host}/other/bb:v1`));
  });

  test('pull --all-tags fetches every tag of the repository', async () => {
    const r = await docker(dst, ['pull', '--all-tags', `${reg.host}/other/bb`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /v1: Pulling from other\/bb/);
    assert.match(r.stdout, new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${reg.host}/other/bb\n`));
    const ls = await docker(dst, ['images', '--format', '{{.Repository}}:{{.Tag}}', `${reg.host}/other/bb`]);
    assert.match(ls.stdout, /other\/bb:v1/);
  });

  test('a tampered layer in the registry is rejected and nothing is kept', async () => {
    const manifest = (await (await fetch(`http://127.0.0.1:${reg.port}/v2/busybox/manifests/${digest}`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).json()) as { layers: { digest: string }[] };
    const layer = manifest.layers[0]?.digest ?? '';
    const blob = `${reg.dir}/storage/blobs/sha256/${layer.slice(7)}`;
    const original = await readFile(blob);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10] ?? 0) ^ 0xff;
    await writeFile(blob, tampered);
    try {
      const ids = (await docker(dst, ['images', '-q'])).stdout.split('\n').filter((l) => l !== '');
      for (const id of new Set(ids)) await docker(dst, ['rmi', '-f', id]);
      const r = await docker(dst, ['pull', image]);
      assert.equal(r.code, 1);
      assert.match(r.stdout + r.stderr, new RegExp(`filesystem layer verification failed for digest ${layer}`));
      assert.equal((await docker(dst, ['images', '-q'])).stdout, '');
    } finally {
      await writeFile(blob, original);
    }
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`${cli} pull of an unknown repository fails with Docker's message`, async () => {
      const r = await runCli(cli, ['pull', `${reg.host}/nope`], { env: dst.env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`Error response from daemon: manifest for ${reg.host}/nope:latest not found: manifest unknown: manifest unknown`));
    });
  }

  test('pull of an unknown tag fails with manifest unknown', async () => {
    const r = await docker(dst, ['pull', `${image}:nope`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`manifest for ${image}:nope not found: manifest unknown: manifest unknown`));
  });
});
