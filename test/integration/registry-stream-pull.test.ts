import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { layerTar, noise, putLayers, sha256, startRegistry, type TestRegistry } from './registry-helper.js';

interface PutImage {
  readonly blobs: string[];
}

/** Puts an image with the given layer tars straight into the registry; `diffIds` may lie. */
async function putImage(base: string, repo: string, tars: Buffer[], diffIds = tars.map(sha256)): Promise<PutImage> {
  const blobs = tars.map((t) => gzipSync(t));
  await putLayers(base, repo, blobs, diffIds);
  return { blobs: blobs.map(sha256) };
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
