import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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
});
