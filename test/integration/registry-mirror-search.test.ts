import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

describe('registry mirrors and search', () => {
  let reg: TestRegistry;
  let h: BerthdHarness;
  const run = (cli: 'docker' | 'berth', args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 120_000 });

  before(async () => {
    reg = await startRegistry('mirror');
    h = await startBerthd('reg-mirror', { bridge: 'none', daemonJson: { 'registry-mirrors': [`http://${reg.host}`] } });
    await loadBusybox(h);
    assert.equal((await run('docker', ['tag', 'busybox', `${reg.host}/library/mirrored:1`])).code, 0);
    const push = await run('docker', ['push', `${reg.host}/library/mirrored:1`]);
    assert.equal(push.code, 0, push.stderr);
  });
  after(async () => {
    await h?.stop();
    await reg?.stop();
  });

  test('a Docker Hub image is pulled from the mirror', async () => {
    const r = await run('docker', ['pull', 'mirrored:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1: Pulling from library\/mirrored/);
    assert.match(r.stdout, /Status: Downloaded newer image for mirrored:1/);
    const ls = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.match(ls.stdout, /^mirrored:1$/m);
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`${cli} search lists the registry's repositories`, async () => {
      const r = await run(cli, ['search', `${reg.host}/mirr`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL/);
      assert.match(r.stdout, /library\/mirrored\s+0/);
      const none = await run(cli, ['search', '--filter', 'is-official=true', `${reg.host}/mirr`]);
      assert.equal(none.code, 0, none.stderr);
      assert.doesNotMatch(none.stdout, /mirrored/);
    });
  }
});
