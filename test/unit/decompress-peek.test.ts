import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { peek } from '../../src/images/decompress.js';

const collect = async (s: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
};
const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

test('peek gathers the head from chunks shorter than it and replays every byte', async () => {
  const source = Readable.from([bytes.subarray(0, 2), bytes.subarray(2, 3), bytes.subarray(3, 500), bytes.subarray(500)], { objectMode: false });
  const { head, stream } = await peek(source, 6);
  assert.deepEqual(head, bytes.subarray(0, 6));
  assert.equal(stream, source, 'the rest flows from the source itself');
  assert.deepEqual(await collect(stream), bytes);
});

test('peek of a stream shorter than the head returns all of it, twice', async () => {
  const source = Readable.from([bytes.subarray(0, 4)], { objectMode: false });
  const { head, stream } = await peek(source, 6);
  assert.deepEqual(head, bytes.subarray(0, 4));
  assert.deepEqual(await collect(stream), bytes.subarray(0, 4));
});

test('peek of an empty stream', async () => {
  const { head, stream } = await peek(Readable.from([], { objectMode: false }), 6);
  assert.equal(head.length, 0);
  assert.equal((await collect(stream)).length, 0);
});

test('peek waits for data written later', async () => {
  const source = new PassThrough();
  const p = peek(source, 6);
  setTimeout(() => source.write(bytes.subarray(0, 3)), 5);
  setTimeout(() => source.end(bytes.subarray(3, 10)), 10);
  const { head, stream } = await p;
  assert.deepEqual(head, bytes.subarray(0, 6));
  assert.deepEqual(await collect(stream), bytes.subarray(0, 10));
});

test('peek passes on the source error', async () => {
  const source = new PassThrough();
  const p = peek(source, 6);
  source.write(bytes.subarray(0, 2));
  setTimeout(() => source.destroy(new Error('reset by peer')), 5);
  await assert.rejects(p, /reset by peer/);
});

test('peek of a destroyed stream fails instead of waiting', async () => {
  const source = new PassThrough();
  source.destroy();
  await assert.rejects(peek(source, 6), /premature close/);
});
