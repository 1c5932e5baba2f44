import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/berthd-harness.js';
import { apiJson, demux, hijack, waitFor } from '../helpers/hijack-client.js';
import { startStreamTarget, type StreamTarget } from '../helpers/stream-target.js';

/*
 * docker-modem sends its options as a JSON body with a hijacked attach and
 * exec start, in the same write as the headers. dockerd never hands that
 * body to the container: the bytes Go read with the headers are dropped.
 */
describe('a hijacked request body is not stdin', () => {
  let t: StreamTarget;
  const docker = (args: string[]) => runCli('docker', args, { env: t.env, timeoutMs: 60_000 });
  const modemBody = JSON.stringify({ stream: true, stdin: true, stdout: true, stderr: true });

  before(async () => {
    t = await startStreamTarget('hijack-body');
    assert.equal((await docker(['run', '-d', '-i', '--name', 'body-cat', 'busybox', 'cat'])).code, 0);
  });
  after(async () => {
    await t?.stop();
  });

  test('attach with a JSON body: only the bytes after it reach stdin', async () => {
    const c = hijack(t.socket, 'POST', '/containers/body-cat/attach?stream=1&stdin=1&stdout=1&stderr=1', { body: modemBody });
    assert.equal((await c.head).status, 101);
    await c.write('hello\n');
    await waitFor(() => demux(c.received()).stdout.includes('hello'), 'the echo');
    await new Promise((r) => setTimeout(r, 300));
    c.close();
    assert.equal(demux(c.received()).stdout.toString(), 'hello\n');
  });

  test('attach with a chunked empty body: the terminating chunk is not stdin', async () => {
    const c = hijack(t.socket, 'POST', '/containers/body-cat/attach?stream=1&stdin=1&stdout=1', {
      headers: { 'Transfer-Encoding': 'chunked' },
      rawBody: '0\r\n\r\n',
    });
    assert.equal((await c.head).status, 101);
    await new Promise((r) => setTimeout(r, 200));
    await c.write('after\n');
    await waitFor(() => demux(c.received()).stdout.includes('after'), 'the echo');
    await new Promise((r) => setTimeout(r, 300));
    c.close();
    assert.equal(demux(c.received()).stdout.toString(), 'after\n');
  });

  test('exec start with a JSON body: the body is its options, not stdin', async () => {
    const created = await apiJson(t.socket, 'POST', '/containers/body-cat/exec', { AttachStdin: true, AttachStdout: true, AttachStderr: true, Cmd: ['cat'] });
    assert.equal(created.status, 201, created.text);
    const id = (created.json as { Id: string }).Id;
    const c = hijack(t.socket, 'POST', `/exec/${id}/start`, { body: JSON.stringify({ Detach: false, Tty: false, hijack: true, stdin: true }) });
    assert.equal((await c.head).status, 101);
    await c.write('hi\n');
    await waitFor(() => demux(c.received()).stdout.includes('hi'), 'the echo');
    c.end();
    const out = await c.output;
    assert.equal(demux(out).stdout.toString(), 'hi\n');
  });

  test('exec start: the start request\'s Tty decides the framing, whatever the exec was created with (dockerd 20.10)', async () => {
    for (const [createTty, startTty] of [[true, true], [true, false], [false, true], [false, false]] as const) {
      const created = await apiJson(t.socket, 'POST', '/v1.41/containers/body-cat/exec', { AttachStdout: true, Tty: createTty, Cmd: ['echo', 'hi'] });
      assert.equal(created.status, 201, created.text);
      const id = (created.json as { Id: string }).Id;
      const c = hijack(t.socket, 'POST', `/v1.41/exec/${id}/start`, { body: JSON.stringify({ Detach: false, Tty: startTty }) });
      const head = await c.head;
      assert.match(head.headers['content-type'] ?? '', /^application\/vnd\.docker\.raw-stream/);
      const out = await c.output;
      // A TTY exec writes "hi\r\n" (the pty), a plain one "hi\n"; without start Tty each write is framed.
      const text = createTty ? 'hi\r\n' : 'hi\n';
      if (startTty) assert.equal(out.toString(), text, `create Tty ${createTty}, start Tty ${startTty}`);
      else assert.equal(demux(out).stdout.toString(), text, `create Tty ${createTty}, start Tty ${startTty}`);
    }
  });
});
