import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { runCli } from '../helpers/berthd-harness.js';
import { startStreamTarget, type StreamTarget } from '../helpers/stream-target.js';

/** Resolves with the status once the response head arrives; the request is then dropped. */
function headWithin(socketPath: string, path: string, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path }, (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no response head for ${path} within ${ms} ms`));
    }, ms);
    req.on('close', () => clearTimeout(timer));
    req.on('error', () => undefined);
    req.end();
  });
}

describe('stream endpoints send their response head at once', () => {
  let t: StreamTarget;
  before(async () => {
    t = await startStreamTarget('stream-headers');
    const r = await runCli('docker', ['run', '-d', '--name', 'silent', 'busybox', 'sleep', '600'], { env: t.env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await t?.stop();
  });

  test('logs?follow=1 of a container that printed nothing', async () => {
    assert.equal(await headWithin(t.socket, '/containers/silent/logs?follow=1&stdout=1&stderr=1', 2000), 200);
  });

  test('events with no event to send', async () => {
    assert.equal(await headWithin(t.socket, `/events?since=${Math.floor(Date.now() / 1000)}`, 2000), 200);
  });

  test('stats?stream=1', async () => {
    assert.equal(await headWithin(t.socket, '/containers/silent/stats?stream=1', 2000), 200);
  });
});
