import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from '../../src/engine/concurrency/limit.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('at most `limit` run at once, the rest wait in order', async () => {
  const lim = new ConcurrencyLimit(2);
  const order: string[] = [];
  const gates = new Map<string, () => void>();
  const job = (name: string) => lim.run(() => new Promise<void>((resolve) => {
    order.push(`start ${name}`);
    gates.set(name, resolve);
  }));
  const all = ['a', 'b', 'c', 'd'].map(job);
  await tick();
  assert.deepEqual(order, ['start a', 'start b']);
  assert.equal(lim.running, 2);
  assert.equal(lim.queued, 2);
  gates.get('a')?.();
  await tick();
  await tick();
  assert.deepEqual(order, ['start a', 'start b', 'start c']);
  gates.get('b')?.();
  gates.get('c')?.();
  await tick();
  await tick();
  gates.get('d')?.();
  await Promise.all(all);
  assert.equal(lim.running, 0);
  assert.equal(lim.queued, 0);
});

test('an aborted waiter leaves the queue without taking a slot; a failing job frees its slot', async () => {
  const lim = new ConcurrencyLimit(1);
  let release!: () => void;
  const first = lim.run(() => new Promise<void>((r) => (release = r)));
  const ac = new AbortController();
  const waiting = lim.run(async () => 'never', ac.signal);
  await tick();
  assert.equal(lim.queued, 1);
  ac.abort();
  await assert.rejects(waiting, /aborted/);
  assert.equal(lim.queued, 0);
  release();
  await first;
  await assert.rejects(lim.run(async () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(lim.running, 0);
  assert.equal(await lim.run(async () => 42), 42);
});

test('a limit below 1 is refused', () => {
  assert.throws(() => new ConcurrencyLimit(0), RangeError);
});
