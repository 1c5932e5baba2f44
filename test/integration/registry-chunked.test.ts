import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

// berthd with BERTH_UPLOAD_CHUNK_SIZE pushes layers as PATCH chunks of that size; the registry's access log shows them.
describe('chunked blob uploads from berthd', () => {
  let h: BerthdHarness;
  const regs: TestRegistry[] = [];
  before(async () => {
    h = await startBerthd('reg-chunked', { bridge: 'none', env: { BERTH_UPLOAD_CHUNK_SIZE: String(64 * 1024) } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
    for (const reg of regs) await reg.stop();
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`${cli} push uploads in 64 KiB PATCHes, and the image pulls back intact`, async () => {
      // a registry per CLI, so the layers are uploaded again rather than mounted from the other's repository
      const reg = await startRegistry(`chunked-${cli}`, { log: true });
      regs.push(reg);
      const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 120_000 });
      const ref = `${reg.host}/chunked/${cli}:1`;
      assert.equal((await run(['tag', 'busybox', ref])).code, 0);
      const push = await run(['push', ref]);
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
      const entries = reg
        .log()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { method: string; uri: string; status: number })
        .filter((e) => e.uri.startsWith(`/v2/chunked/${cli}/blobs/uploads/`));
      const patches = entries.filter((e) => e.method === 'PATCH');
      assert.ok(patches.length >= 5, `expected several PATCH requests, got ${patches.length}`);
      assert.ok(patches.every((e) => e.status === 202));
      assert.ok(entries.some((e) => e.method === 'PUT' && e.status === 201));
      assert.equal((await run(['rmi', ref])).code, 0);
      const pull = await run(['pull', ref]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stdout, /Status: Downloaded newer image/);
    });
  }
});
