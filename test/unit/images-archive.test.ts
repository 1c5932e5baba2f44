import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { isEngineError } from '../../src/errors/engine-error.js';
import { enginePaths, type EngineContext } from '../../src/engine/engine-context.js';
import { loadImages } from '../../src/engine/images/load.js';
import { saveImages } from '../../src/engine/images/save.js';
import { importImage } from '../../src/engine/images/import.js';
import { inspectImage } from '../../src/engine/images/inspect.js';
import { listImageSummaries } from '../../src/engine/images/list.js';
import { removeImage } from '../../src/engine/images/remove.js';
import { imageChainIds, resolveImage } from '../../src/engine/images/resolve.js';
import { tagImage } from '../../src/engine/images/tag.js';
import { imageTestContext } from './images-store-fixture.js';

const busyboxTar = existsSync('/bin/busybox')
  ? execFileSync('bash', [new URL('../../../scripts/images/busybox.sh', import.meta.url).pathname], { maxBuffer: 64 << 20 })
  : undefined;
const skip = busyboxTar === undefined && 'busybox-static not installed';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  const out = collect(pack as unknown as Readable);
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  return out;
}

function counts(ctx: EngineContext): { images: number; layers: number; tags: number } {
  const n = (t: string): number => (ctx.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  return { images: n('images'), layers: n('layers'), tags: n('image_tags') };
}

void test('images archive: busybox.sh is deterministic and loads as busybox:latest', { skip }, async () => {
  const again = execFileSync('bash', [new URL('../../../scripts/images/busybox.sh', import.meta.url).pathname], { maxBuffer: 64 << 20 });
  assert.ok(again.equals(busyboxTar as Buffer));
  const t = await imageTestContext('archive-load');
  const result = await loadImages(t.ctx, Readable.from([busyboxTar as Buffer]));
  assert.deepEqual(result.messages, ['Loaded image: busybox:latest']);
  const image = resolveImage(t.ctx, 'busybox');
  assert.equal(image.id, result.imageIds[0]);
  assert.deepEqual(image.config.config?.Cmd, ['sh']);
  const [chainId] = imageChainIds(t.ctx, image);
  assert.ok(existsSync(`${t.ctx.snapshots.layerDir(chainId as string)}/bin/busybox`));
  assert.deepEqual(await readdir(enginePaths.tmp(t.ctx.settings)), []);
  await t.close();
});

void test('images archive: save then load round-trips with the same id and tags', { skip }, async () => {
  const a = await imageTestContext('archive-save');
  const b = await imageTestContext('archive-reload');
  const [id] = (await loadImages(a.ctx, Readable.from([busyboxTar as Buffer]))).imageIds;
  tagImage(a.ctx, 'busybox', { repo: 'localhost:5000/bb', tag: 'v1' });
  const saved = await collect(await saveImages(a.ctx, ['busybox:latest', 'localhost:5000/bb:v1']));
  const reloaded = await loadImages(b.ctx, Readable.from([saved]));
  assert.deepEqual(reloaded.imageIds, [id]);
  assert.deepEqual(reloaded.messages, ['Loaded image: busybox:latest', 'Loaded image: localhost:5000/bb:v1']);
  assert.deepEqual(inspectImage(b.ctx, 'localhost:5000/bb:v1').RepoTags, ['busybox:latest', 'localhost:5000/bb:v1']);
  await a.close();
  await b.close();
});

void test('images archive: a truncated archive is invalid and leaves nothing behind', { skip }, async () => {
  const t = await imageTestContext('archive-truncated');
  const cut = (busyboxTar as Buffer).subarray(0, 1_000_000);
  await assert.rejects(loadImages(t.ctx, Readable.from([cut])), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.deepEqual(counts(t.ctx), { images: 0, layers: 0, tags: 0 });
  assert.deepEqual(await readdir(enginePaths.tmp(t.ctx.settings)), []);
  assert.deepEqual(await readdir(enginePaths.snapshots(t.ctx.settings)), []);
  assert.deepEqual(await readdir(`${enginePaths.content(t.ctx.settings)}/blobs/sha256`), []);
  await t.close();
});

void test('images archive: a layer that does not match the config diff id is refused', async () => {
  const t = await imageTestContext('archive-mismatch');
  const layer = await tarOf({ 'hello.txt': 'hi' });
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'0'.repeat(64)}`] } });
  const archive = await tarOf({
    'config.json': config,
    'l/layer.tar': layer,
    'manifest.json': JSON.stringify([{ Config: 'config.json', RepoTags: ['evil:latest'], Layers: ['l/layer.tar'] }]),
  });
  await assert.rejects(loadImages(t.ctx, Readable.from([archive])), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.deepEqual(counts(t.ctx), { images: 0, layers: 0, tags: 0 });
  assert.deepEqual(await readdir(`${enginePaths.content(t.ctx.settings)}/blobs/sha256`), []);
  await t.close();
});

void test('images archive: garbage is an invalid archive', async () => {
  const t = await imageTestContext('archive-garbage');
  await assert.rejects(loadImages(t.ctx, Readable.from([Buffer.alloc(3000, 7)])), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.deepEqual(await readdir(enginePaths.tmp(t.ctx.settings)), []);
  await t.close();
});

void test('images: import applies changes and tags the image', async () => {
  const t = await imageTestContext('import');
  const rootfs = await tarOf({ 'etc/motd': 'hello' });
  const id = await importImage(t.ctx, Readable.from([rootfs]), {
    repo: 'imported',
    tag: 'v2',
    changes: ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', 'WORKDIR /srv', 'USER nobody', 'EXPOSE 80', 'LABEL k=v'],
  });
  const info = inspectImage(t.ctx, 'imported:v2');
  assert.equal(info.Id, id);
  assert.equal(info.Comment, 'Imported from -');
  assert.deepEqual(info.Config?.Cmd, ['/bin/sh']);
  assert.deepEqual(info.Config?.Env, ['A=1', 'B=two words']);
  assert.equal(info.Config?.WorkingDir, '/srv');
  assert.equal(info.Config?.User, 'nobody');
  assert.deepEqual(info.Config?.ExposedPorts, { '80/tcp': {} });
  assert.deepEqual(listImageSummaries(t.ctx, { filters: new Map([['label', ['k=v']]]) }).map((s) => s.Id), [id]);
  assert.deepEqual(listImageSummaries(t.ctx, { filters: new Map([['reference', ['imp*']]]) }).map((s) => s.RepoTags), [['imported:v2']]);
  assert.deepEqual(resolveImage(t.ctx, id.slice(7, 10)).id, id);
  await t.close();
});

void test('images: unknown image is No such image', async () => {
  const t = await imageTestContext('missing');
  assert.throws(() => resolveImage(t.ctx, 'busybox:nope'), (err: unknown) => isEngineError(err, 'not_found') && err.message === 'No such image: busybox:nope');
  await t.close();
});

void test('images: remove refuses images used by containers with Docker\'s messages', async () => {
  const t = await imageTestContext('remove-conflict');
  const id = await importImage(t.ctx, Readable.from([await tarOf({ a: 'b' })]), { repo: 'busybox' });
  const short = id.slice(7, 19);
  const addContainer = (cid: string, running: boolean): void => {
    t.ctx.db
      .prepare(`INSERT INTO containers VALUES (?, ?, ?, 'busybox', '', '{}', '{}', ?, '{}')`)
      .run(cid, `c${cid.slice(0, 4)}`, id, JSON.stringify({ Running: running }));
  };
  addContainer('0123456789ab'.padEnd(64, '0'), false);
  await assert.rejects(removeImage(t.ctx, 'busybox'), {
    message: `conflict: unable to remove repository reference "busybox" (must force) - container 0123456789ab is using its referenced image ${short}`,
  });
  await assert.rejects(removeImage(t.ctx, id), {
    message: `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container 0123456789ab`,
  });
  t.ctx.db.prepare('UPDATE containers SET state_json = ?').run(JSON.stringify({ Running: true }));
  await assert.rejects(removeImage(t.ctx, id, { force: true }), {
    message: `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container 0123456789ab`,
  });
  t.ctx.db.prepare('DELETE FROM containers').run();
  tagImage(t.ctx, 'busybox', { repo: 'other' });
  assert.deepEqual(await removeImage(t.ctx, 'other'), [{ Untagged: 'other:latest' }]);
  const removed = await removeImage(t.ctx, id.slice(7, 15));
  assert.deepEqual(removed.slice(0, 2), [{ Untagged: 'busybox:latest' }, { Deleted: id }]);
  assert.deepEqual(counts(t.ctx), { images: 0, layers: 0, tags: 0 });
  assert.deepEqual(await readdir(`${enginePaths.content(t.ctx.settings)}/blobs/sha256`), []);
  await t.close();
});
