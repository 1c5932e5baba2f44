import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { apiJson, hijack } from '../helpers/hijack-client.js';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);

describe('detach keys end the attached stream and leave the process running', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  before(async () => {
    h = await startBerthd('detach-keys');
    await loadBusybox(h);
    assert.equal((await docker(['run', '-d', '-i', '-t', '--name', 'dk', 'busybox', 'sh'])).code, 0);
  });
  after(async () => h?.stop());

  test('POST /containers/{id}/attach?detachKeys=ctrl-x: ctrl-x closes the stream; the container keeps running', async () => {
    const s = hijack(h.socket, 'POST', '/containers/dk/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x');
    assert.equal((await s.head).status, 101);
    await s.write(Buffer.from([0x18]));
    assert.notEqual(await withTimeout(s.output, 5_000), 'timeout');
    s.close();
    assert.equal((await docker(['inspect', '-f', '{{.State.Running}}', 'dk'])).stdout.trim(), 'true');
  });

  test('a TTY exec detaches on ctrl-p ctrl-q, or on its exec DetachKeys; the process keeps running', async () => {
    for (const [keys, seq] of [['', [0x10, 0x11]], ['ctrl-x', [0x18]]] as const) {
      const created = await apiJson(h.socket, 'POST', '/containers/dk/exec', { AttachStdin: true, AttachStdout: true, Tty: true, Cmd: ['sleep', '30'], ...(keys ? { DetachKeys: keys } : {}) });
      assert.equal(created.status, 201, created.text);
      const id = (created.json as { Id: string }).Id;
      const s = hijack(h.socket, 'POST', `/exec/${id}/start`, { body: JSON.stringify({ Detach: false, Tty: true }) });
      assert.equal((await s.head).status, 101);
      await s.write(Buffer.from(seq));
      assert.notEqual(await withTimeout(s.output, 5_000), 'timeout', `the stream ends on ${keys || 'ctrl-p,ctrl-q'}`);
      s.close();
      await new Promise((r) => setTimeout(r, 300));
      const inspect = await apiJson(h.socket, 'GET', `/exec/${id}/json`);
      assert.equal((inspect.json as { Running: boolean }).Running, true, inspect.text);
    }
    const bad = await apiJson(h.socket, 'POST', '/containers/dk/exec', { AttachStdin: true, Tty: true, Cmd: ['true'], DetachKeys: 'ctrl-1' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /Invalid detach keys \(ctrl-1\) provided/);
  });

  test('without a TTY the detach keys are plain stdin bytes, as moby copies non-TTY stdin verbatim: 5 MB of random bytes arrive whole', async () => {
    const small = await runCli('docker', ['run', '-i', '--rm', 'busybox', 'od', '-An', '-tx1'], { env: h.env, input: Buffer.from([0x10, 0x11, 0x61]) });
    assert.equal(small.stdout.trim(), '10 11 61', small.stderr);
    const data = randomBytes(5 * 1024 * 1024);
    const big = await runCli('docker', ['run', '-i', '--rm', 'busybox', 'md5sum'], { env: h.env, input: data, timeoutMs: 120_000 });
    assert.equal(big.code, 0, big.stderr);
    assert.equal(big.stdout.split(' ')[0], createHash('md5').update(data).digest('hex'));
  });
});
