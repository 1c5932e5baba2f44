import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function layerTar(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

interface PutImage {
  readonly blobs: string[];
}

/** Puts an image with the given layer tars straight into the registry; `diffIds` may lie. */
async function putImage(base: string, repo: string, tars: Buffer[], diffIds = tars.map(sha256)): Promise<PutImage> {
  const blobs = tars.map((t) => gzipSync(t));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
  for (const b of [...blobs, config]) {
    const res = await fetch(`${base}/v2/${repo}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201, await res.text());
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
    layers: blobs.map((b) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: b.length, digest: sha256(b) })),
  };
  const res = await fetch(`${base}/v2/${repo}/manifests/latest`, { method: 'PUT', body: JSON.stringify(manifest), headers: { 'Content-Type': manifest.mediaType } });
  assert.equal(res.status, 201, await res.text());
  return { blobs: blobs.map(sha256) };
}

/** Layers with a few MiB of incompressible data, so they stream in many pieces. */
function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

describe('streamed pulls: verified while unpacking, nothing corrupt kept', () => {
  let reg: TestRegistry;
  let h: BerthdHarness;
  let base: string;
  let tars: Buffer[];
  let image: PutImage;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 120_000 });
  const blobCount = async (): Promise<number> => (await readdir(`${h.dataRoot}/content/blobs/sha256`).catch(() => [])).length;

  before(async () => {
    reg = await startRegistry('h5-stream');
    base = `http://127.0.0.1:${reg.port}`;
    tars = await Promise.all([0, 1, 2, 3].map((i) => layerTar({ [`data/file${i}`]: noise(3 * 1024 * 1024, i + 1), [`data/small${i}.txt`]: `layer ${i}\n` })));
    image = await putImage(base, 'stream/multi', tars);
    h = await startBerthd('h5-stream', { bridge: 'none' });
  });
  after(async () => {
    await h?.stop();
    await reg?.stop();
  });

  test('a later layer with a bad digest fails the pull; the daemon lives on and no image appears', async () => {
    const bad = image.blobs[3] as string;
    const path = `${reg.dir}/storage/blobs/sha256/${bad.slice(7)}`;
    const original = await readFile(path);
    const tampered = Buffer.from(original);
    tampered[Math.floor(tampered.length / 2)] = (tampered[Math.floor(tampered.length / 2)] ?? 0) ^ 0xff;
    await writeFile(path, tampered);
    try {
      const r = await docker(['pull', `${reg.host}/stream/multi`]);
      assert.equal(r.code, 1);
      assert.match(r.stdout + r.stderr, new RegExp(`filesystem layer verification failed for digest ${bad}`));
      assert.equal((await docker(['version', '--format', '{{.Server.Version}}'])).code, 0, 'the daemon still answers');
      assert.equal((await docker(['images', '-q'])).stdout, '');
      // the bad layer's content never reached the content store
      const listed = await readdir(`${h.dataRoot}/content/blobs/sha256`).catch(() => [] as string[]);
      assert.ok(!listed.includes(sha256(tars[3] as Buffer).slice(7)), 'the tampered layer was not stored');
    } finally {
      await writeFile(path, original);
    }
  });

  test('pulling again fetches only what is missing, and the files are there', async () => {
    const r = await docker(['pull', `${reg.host}/stream/multi`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Already exists/, 'verified layers of the failed pull are reused');
    assert.match(r.stdout, /Pull complete/);
    const ls = await docker(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', `${reg.host}/stream/multi`]);
    assert.equal(ls.stdout.trim(), '4');
    const save = await docker(['save', '-o', `${h.root}/multi.tar`, `${reg.host}/stream/multi`]);
    assert.equal(save.code, 0, save.stderr);
  });

  test('a config whose diff id does not match the layer is rejected and leaves no blob', async () => {
    const other = await layerTar({ 'x.txt': 'not what the config says\n' });
    await putImage(base, 'stream/liar', [other], [sha256(Buffer.from('something else'))]);
    const before = await blobCount();
    const r = await docker(['pull', `${reg.host}/stream/liar`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /diff id|corrupt/);
    assert.equal(await blobCount(), before);
    assert.doesNotMatch((await docker(['images', '--format', '{{.Repository}}'])).stdout, /stream\/liar/);
  });
});
