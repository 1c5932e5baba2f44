import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hijack } from '../helpers/hijack-client.js';
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

  test('without a TTY the detach keys are plain stdin bytes, as moby copies non-TTY stdin verbatim: 5 MB of random bytes arrive whole', async () => {
    const small = await runCli('docker', ['run', '-i', '--rm', 'busybox', 'od', '-An', '-tx1'], { env: h.env, input: Buffer.from([0x10, 0x11, 0x61]) });
    assert.equal(small.stdout.trim(), '10 11 61', small.stderr);
    const data = randomBytes(5 * 1024 * 1024);
    const big = await runCli('docker', ['run', '-i', '--rm', 'busybox', 'md5sum'], { env: h.env, input: data, timeoutMs: 120_000 });
    assert.equal(big.code, 0, big.stderr);
    assert.equal(big.stdout.split(' ')[0], createHash('md5').update(data).digest('hex'));
  });
});
