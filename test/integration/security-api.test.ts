import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { ping, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function post(socketPath: string, path: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    // The daemon may answer before the whole body is sent; the response is what counts.
    req.on('error', reject);
    req.end(body);
  });
}

function rawExchange(socketPath: string, payload: string): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const s = connect(socketPath);
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('error', reject);
    s.on('close', () => resolve({ text, closedAfterMs: Date.now() - start }));
    s.write(payload);
  });
}

describe('API access limits', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('sec-api');
  });
  after(async () => {
    await h?.stop();
  });

  test('the unix socket is 0660, owned by root and the berth group; others cannot connect', async () => {
    const st = await stat(h.daemonSocket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    const berthGid = Number(execFileSync('getent', ['group', 'berth'], { encoding: 'utf8' }).split(':')[2]);
    assert.equal(st.gid, berthGid);
    const asNobody = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('runuser', ['-u', 'nobody', '--', 'curl', '-sS', '--unix-socket', h.daemonSocket, 'http://berth/_ping'], { encoding: 'utf8' }, (err, _out, stderr) =>
        resolve({ code: err ? 1 : 0, stderr }),
      );
    });
    assert.notEqual(asNobody.code, 0);
    assert.match(asNobody.stderr, /Permission denied|Couldn't connect/i);
  });

  test('an oversized JSON body gets 400 and the daemon keeps serving', async () => {
    const big = Buffer.from(JSON.stringify({ Image: 'busybox', Env: ['X='.concat('a'.repeat(11 * 1024 * 1024))] }));
    const r = await post(h.daemonSocket, '/containers/create', big);
    assert.equal(r.status, 400, r.text);
    assert.match(r.text, /request body is too large/);
    assert.equal(await ping(h.daemonSocket), true);
  });

  test('oversized headers get 431 and the daemon keeps serving', async () => {
    const r = await rawExchange(h.daemonSocket, `GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Big: ${'b'.repeat(32 * 1024)}\r\n\r\n`);
    assert.match(r.text, /^HTTP\/1\.1 431/);
    assert.equal(await ping(h.daemonSocket), true);
  });

  test('an idle keep-alive connection is closed by the daemon', async () => {
    const r = await rawExchange(h.daemonSocket, 'GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: keep-alive\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 200/);
    assert.ok(r.closedAfterMs >= 4_000 && r.closedAfterMs < 15_000, `closed after ${r.closedAfterMs} ms`);
  });
});
