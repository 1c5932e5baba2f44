import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/** Opens Docker's websocket attach endpoint over the daemon's unix socket. */
function openWs(h: BerthdHarness, path: string): WebSocket {
  return new WebSocket(`ws+unix://${h.socket}:${path}`);
}

function waitOpen(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode ?? '?'}`)));
  });
}

/** Collects messages until `until` matches the text so far or the socket closes. */
function collect(ws: WebSocket, until: (text: string) => boolean, timeoutMs = 15_000): Promise<{ text: string; binary: boolean[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const binary: boolean[] = [];
    const timer = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(text)}`)), timeoutMs);
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve({ text, binary, closed });
    };
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      text += data.toString('utf8');
      binary.push(isBinary);
      if (until(text)) finish(false);
    };
    ws.on('message', onMessage);
    ws.once('close', () => finish(true));
  });
}

/** POST with a JSON body over the daemon's unix socket; resolves with status and body. */
function postJson(h: BerthdHarness, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('websocket attach (GET /containers/{id}/attach/ws)', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('attach-ws');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('stdin messages reach cat, its output comes back as binary frames', async () => {
    const r = await docker(['run', '-di', '--name', 'wscat', 'busybox', 'cat']);
    assert.equal(r.code, 0, r.stderr);
    const ws = openWs(h, '/v1.47/containers/wscat/attach/ws?stream=1&stdin=1&stdout=1&stderr=1');
    await waitOpen(ws);
    const got = collect(ws, (t) => t.includes('world\n'));
    ws.send(Buffer.from('hello\n'));
    ws.send('world\n');
    const out = await got;
    assert.equal(out.text, 'hello\nworld\n');
    assert.ok(out.binary.every(Boolean), 'API >= 1.42 sends binary frames');
    ws.close();
    const rm = await docker(['rm', '-f', 'wscat']);
    assert.equal(rm.code, 0, rm.stderr);
  });

  test('logs=1 replays output; the socket closes when the container exits', async () => {
    const r = await docker(['run', '--name', 'wslogs', 'busybox', 'sh', '-c', 'echo one; echo two >&2']);
    assert.equal(r.code, 0, r.stderr);
    const ws = openWs(h, '/v1.41/containers/wslogs/attach/ws?logs=1&stream=0&stdout=1&stderr=1');
    await waitOpen(ws);
    const out = await collect(ws, () => false);
    assert.equal(out.closed, true);
    assert.equal(out.text, 'one\ntwo\n');
    assert.ok(out.binary.every((b) => !b), 'API < 1.42 sends text frames');

    // A running container that exits: the stream ends with it.
    const d = await docker(['run', '-d', '--name', 'wsexit', 'busybox', 'sh', '-c', 'sleep 1; echo bye']);
    assert.equal(d.code, 0, d.stderr);
    const ws2 = openWs(h, '/containers/wsexit/attach/ws?stream=1&stdout=1');
    await waitOpen(ws2);
    const out2 = await collect(ws2, () => false);
    assert.equal(out2.closed, true);
    assert.equal(out2.text, 'bye\n');
  });

  test('closing the websocket closes a StdinOnce container\'s stdin: cat exits', async () => {
    const created = await postJson(h, '/v1.47/containers/create?name=wsonce', {
      Image: 'busybox',
      Cmd: ['cat'],
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
    });
    assert.equal(created.status, 201, created.body);
    assert.equal((await docker(['start', 'wsonce'])).code, 0);
    const ws = openWs(h, '/v1.47/containers/wsonce/attach/ws?stream=1&stdin=1&stdout=1');
    await waitOpen(ws);
    const got = collect(ws, (t) => t.includes('once\n'));
    ws.send(Buffer.from('once\n'));
    assert.equal((await got).text, 'once\n');
    ws.close();
    const waited = await runCli('docker', ['wait', 'wsonce'], { env: h.env, timeoutMs: 15_000 });
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout.trim(), '0', 'cat saw EOF and exited');
    assert.equal((await docker(['rm', '-f', 'wsonce'])).code, 0);
  });

  test('without StdinOnce, stdin stays open after the websocket closes', async () => {
    const r = await docker(['run', '-di', '--name', 'wskeep', 'busybox', 'cat']);
    assert.equal(r.code, 0, r.stderr);
    const ws = openWs(h, '/v1.47/containers/wskeep/attach/ws?stream=1&stdin=1&stdout=1');
    await waitOpen(ws);
    const got = collect(ws, (t) => t.includes('keep\n'));
    ws.send(Buffer.from('keep\n'));
    await got;
    ws.close();
    await new Promise((res) => setTimeout(res, 1_000));
    const st = await docker(['inspect', '-f', '{{.State.Running}}', 'wskeep']);
    assert.equal(st.stdout.trim(), 'true');
    assert.equal((await docker(['rm', '-f', 'wskeep'])).code, 0);
  });

  test('unknown container: 404 before any upgrade', async () => {
    const ws = openWs(h, '/containers/nope/attach/ws?stream=1&stdout=1');
    await assert.rejects(waitOpen(ws), /unexpected response 404/);
  });
});
