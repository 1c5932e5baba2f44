import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

  test('unknown container: 404 before any upgrade', async () => {
    const ws = openWs(h, '/containers/nope/attach/ws?stream=1&stdout=1');
    await assert.rejects(waitOpen(ws), /unexpected response 404/);
  });
});
