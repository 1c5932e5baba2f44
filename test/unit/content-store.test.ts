import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FileContentStore } from '../../src/content/file-content-store.js';
import { isEngineError } from '../../src/errors/engine-error.js';
import { sha256Digest } from '../../src/lib/digest.js';

const ROOT = '/tmp/berth-images-test/content-store-test';

async function freshStore(name: string): Promise<FileContentStore> {
  await rm(`${ROOT}-${name}`, { recursive: true, force: true });
  return FileContentStore.open(`${ROOT}-${name}`);
}

void test('content store: ingest publishes a verified blob', async () => {
  const store = await freshStore('ok');
  const data = Buffer.from('hello world');
  const info = await store.ingest(Readable.from([data]), { digest: sha256Digest(data), size: data.length });
  assert.deepEqual(info, { digest: sha256Digest(data), size: data.length });
  assert.deepEqual(await store.readBytes(info.digest), data);
  assert.deepEqual(await store.info(info.digest), info);
  await rm(`${ROOT}-ok`, { recursive: true, force: true });
});

void test('content store: digest mismatch rejects and leaves nothing behind', async () => {
  const store = await freshStore('mismatch');
  const wrong = sha256Digest('something else');
  await assert.rejects(store.ingest(Buffer.from('hello'), { digest: wrong }), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.equal(await store.info(wrong), undefined);
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(await readdir(`${ROOT}-mismatch/ingest`), []);
  await rm(`${ROOT}-mismatch`, { recursive: true, force: true });
});

void test('content store: size mismatch rejects', async () => {
  const store = await freshStore('size');
  await assert.rejects(store.ingest(Buffer.from('hello'), { size: 4 }), (err: unknown) => isEngineError(err, 'invalid_argument'));
  await assert.rejects(store.ingest(Buffer.from('hello'), { size: 6 }), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.deepEqual(await store.list(), []);
  await rm(`${ROOT}-size`, { recursive: true, force: true });
});

void test('content store: reading a missing blob is not_found', async () => {
  const store = await freshStore('missing');
  const digest = sha256Digest('nope');
  await assert.rejects(store.readBytes(digest), (err: unknown) => isEngineError(err, 'not_found'));
  await assert.rejects(async () => {
    for await (const _ of store.readStream(digest)) void _;
  }, (err: unknown) => isEngineError(err, 'not_found'));
  await rm(`${ROOT}-missing`, { recursive: true, force: true });
});

void test('content store: malformed digests are refused', async () => {
  const store = await freshStore('bad');
  assert.throws(() => store.pathOf('sha256:../../etc/passwd'), (err: unknown) => isEngineError(err, 'invalid_argument'));
  await rm(`${ROOT}-bad`, { recursive: true, force: true });
});

after(async () => {
  await rmdir('/tmp/berth-images-test').catch(() => undefined); // shared by the image tests: removed once empty
});
