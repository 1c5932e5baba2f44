import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { layerTar, noise, putLayers, sha256, startRegistry, type TestRegistry } from './registry-helper.js';

const hex = (digest: string): string => digest.slice('sha256:'.length);

/** OCI chain ids, bottom-most first. */
function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1] as string} ${d}`));
  return out;
}

interface PutImage {
  /** Compressed blob digests in the registry, bottom-most first. */
  readonly blobs: string[];
  readonly diffIds: string[];
  readonly chain: string[];
}

/** Puts an image with these layer tars straight into the registry as `<repo>:latest`. */
async function putImage(base: string, repo: string, tars: readonly Buffer[]): Promise<PutImage> {
  const blobs = tars.map((t) => gzipSync(t));
  const diffIds = tars.map((t) => sha256(t));
  await putLayers(base, repo, blobs, diffIds);
  return { blobs: blobs.map((b) => sha256(b)), diffIds, chain: chainIds(diffIds) };
}

describe('layers no image references are removed', () => {
  let reg: TestRegistry;
  let h: BerthdHarness;
  let base: string;
  let shared: Buffer;
  let keep: PutImage;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 120_000 });
  const snapshots = async (): Promise<string[]> => (await readdir(`${h.dataRoot}/snapshots`).catch(() => [] as string[])).filter((n) => /^[a-f0-9]{64}$/.test(n));
  const blobs = async (): Promise<string[]> => await readdir(`${h.dataRoot}/content/blobs/sha256`).catch(() => [] as string[]);
  /** The shared bottom layer of `gc/keep` is never touched. */
  const assertSharedKept = async (): Promise<void> => {
    const s = keep.chain[0] as string;
    assert.ok((await snapshots()).includes(hex(s)), 'the shared layer snapshot stays');
    assert.ok((await blobs()).includes(hex(keep.diffIds[0] as string)), 'the shared layer blob stays');
    const save = await docker(['save', '-o', `${h.root}/keep.tar`, `${reg.host}/gc/keep`]);
    assert.equal(save.code, 0, save.stderr);
  };

  before(async () => {
    reg = await startRegistry('gc-orphan');
    base = `http://127.0.0.1:${reg.port}`;
    shared = await layerTar({ 'shared/base.txt': 'the shared base layer\n' });
    keep = await putImage(base, 'gc/keep', [shared, await layerTar({ 'keep/own.txt': 'keep\n' })]);
    h = await startBerthd('gc-orphan', { bridge: 'none' });
    const r = await docker(['pull', `${reg.host}/gc/keep`]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await h?.stop();
    await reg?.stop();
  });

  test('a failed pull keeps its verified layers for a retry; a restart removes them, not the shared one', async () => {
    const own = [0, 1].map((i) => layerTar({ [`own/file${i}.txt`]: `own layer ${i}\n` }));
    const big = await layerTar({ 'big/data': noise(3 * 1024 * 1024, 7) });
    const img = await putImage(base, 'gc/broken', [shared, ...(await Promise.all(own)), big]);
    const bad = img.blobs[3] as string;
    const path = `${reg.dir}/storage/blobs/sha256/${hex(bad)}`;
    const original = await readFile(path);
    const tampered = Buffer.from(original);
    tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 0xff;
    await writeFile(path, tampered);

    const r = await docker(['pull', `${reg.host}/gc/broken`]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout + r.stderr, /filesystem layer verification failed/);
    const orphans = [img.chain[1], img.chain[2]] as string[];
    const orphanBlobs = [img.diffIds[1], img.diffIds[2]] as string[];
    for (const c of orphans) assert.ok((await snapshots()).includes(hex(c)), 'verified layers stay for a retry');

    const retry = await docker(['pull', `${reg.host}/gc/broken`]);
    assert.equal(retry.code, 1);
    assert.equal(retry.stdout.match(/Already exists/g)?.length, 3, `the shared and both verified layers are reused:\n${retry.stdout}`);
    // still within the grace period: a prune leaves the held layers alone
    assert.equal((await docker(['image', 'prune', '-f'])).code, 0);
    for (const c of orphans) assert.ok((await snapshots()).includes(hex(c)), 'prune keeps layers a failed pull holds');

    await h.restart();
    const dirs = await snapshots();
    const stored = await blobs();
    for (const c of orphans) assert.ok(!dirs.includes(hex(c)), `orphaned snapshot ${c} is removed at start`);
    for (const d of orphanBlobs) assert.ok(!stored.includes(hex(d)), `orphaned blob ${d} is removed at start`);
    assert.ok(!stored.includes(hex(img.diffIds[3] as string)), 'the corrupt layer never arrived');
    await assertSharedKept();
    assert.deepEqual((await docker(['images', '--format', '{{.Repository}}'])).stdout.trim().split('\n'), [`${reg.host}/gc/keep`]);
  });

  test('what a crash in mid-pull left (a snapshot dir, a blob, no rows) is removed at start', async () => {
    const strayBlob = Buffer.from('a blob no layer names\n');
    const strayChain = sha256('a chain id no layer has');
    await h.kill9();
    await mkdir(`${h.dataRoot}/snapshots/${hex(strayChain)}/fs/etc`, { recursive: true });
    await writeFile(`${h.dataRoot}/snapshots/${hex(strayChain)}/fs/etc/stray`, 'stray\n');
    await writeFile(`${h.dataRoot}/content/blobs/sha256/${hex(sha256(strayBlob))}`, strayBlob);
    await h.restart();
    assert.ok(!(await snapshots()).includes(hex(strayChain)), 'the stray snapshot dir is gone');
    assert.ok(!(await blobs()).includes(hex(sha256(strayBlob))), 'the stray blob is gone');
    await assertSharedKept();
  });

  test('layers left by rmi --no-prune go with the next image prune; its output is unchanged', async () => {
    const img = await putImage(base, 'gc/noprune', [shared, await layerTar({ 'np/own.txt': 'no prune\n' })]);
    assert.equal((await docker(['pull', `${reg.host}/gc/noprune`])).code, 0);
    const rmi = await docker(['rmi', '--no-prune', `${reg.host}/gc/noprune`]);
    assert.equal(rmi.code, 0, rmi.stderr);
    const top = img.chain[1] as string;
    assert.ok((await snapshots()).includes(hex(top)), '--no-prune keeps the layer');

    const prune = await docker(['image', 'prune', '-f']);
    assert.equal(prune.code, 0, prune.stderr);
    assert.equal(prune.stdout.trim(), 'Total reclaimed space: 0B', 'Docker neither lists nor counts orphan layers');
    assert.ok(!(await snapshots()).includes(hex(top)), 'the orphan layer snapshot is gone');
    assert.ok(!(await blobs()).includes(hex(img.diffIds[1] as string)), 'the orphan layer blob is gone');
    await assertSharedKept();
  });

  test('a layer a container uses stays after its image is removed, until the container goes', async () => {
    const img = await putImage(base, 'gc/used', [shared, await layerTar({ 'used/own.txt': 'used\n' })]);
    assert.equal((await docker(['pull', `${reg.host}/gc/used`])).code, 0);
    const create = await docker(['create', '--name', 'gc-orphan-user', `${reg.host}/gc/used`]);
    assert.equal(create.code, 0, create.stderr);
    const rmi = await docker(['rmi', '-f', `${reg.host}/gc/used`]);
    assert.equal(rmi.code, 0, rmi.stderr);
    const top = img.chain[1] as string;

    assert.equal((await docker(['image', 'prune', '-f'])).code, 0);
    await h.restart();
    assert.ok((await snapshots()).includes(hex(top)), 'the container still needs its layer');

    assert.equal((await docker(['rm', 'gc-orphan-user'])).code, 0);
    assert.equal((await docker(['image', 'prune', '-f'])).code, 0);
    assert.ok(!(await snapshots()).includes(hex(top)), 'with the container gone, the layer goes');
    await assertSharedKept();
  });
});
