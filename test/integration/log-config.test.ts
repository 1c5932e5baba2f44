import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// Texts from dockerd 20.10: an unknown driver and an unknown json-file option are 400s at create.
describe('HostConfig.LogConfig is honoured or refused, never dropped', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const containerDirs = async (): Promise<number> => (await readdir(`${h.dataRoot}/containers`).catch(() => [])).length;
  before(async () => {
    h = await startBerthd('log-config');
    await loadBusybox(h);
  });
  after(async () => h?.stop());

  test('--log-driver json-file (LogConfig.Type) is kept in inspect and docker logs reads it', async () => {
    assert.equal((await docker(['run', '--name', 'lj', '--log-driver', 'json-file', 'busybox', 'echo', 'logged'])).code, 0);
    assert.equal((await docker(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'lj'])).stdout.trim(), 'json-file');
    assert.equal((await docker(['logs', 'lj'])).stdout, 'logged\n');
    assert.equal((await docker(['rm', 'lj'])).code, 0);
  });

  test('an unknown --log-driver gets dockerd\'s plugin-not-found error and creates nothing', async () => {
    const before = await containerDirs();
    const r = await docker(['run', '--rm', '--log-driver', 'nosuch', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /error looking up logging plugin nosuch: plugin "nosuch" not found/);
    assert.equal(await containerDirs(), before);
  });

  test('a driver Berth does not implement yet is refused, not accepted and ignored', async () => {
    const r = await docker(['create', '--log-driver', 'awslogs', 'busybox', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /logging driver "awslogs" is not supported by berth yet/);
  });

  test('--log-opt (LogConfig.Config): an unknown option is dockerd\'s 400 at create; a bad value fails the start as dockerd', async () => {
    const unknown = await docker(['create', '--log-opt', 'foo=bar', 'busybox', 'true']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown log opt 'foo' for json-file log driver/);
    const size = await docker(['create', '--name', 'lbad', '--log-opt', 'max-size=abc', 'busybox', 'true']);
    assert.equal(size.code, 0);
    const start = await docker(['start', 'lbad']);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /failed to initialize logging driver: invalid size: 'abc'/);
    assert.equal((await docker(['rm', 'lbad'])).code, 0);
  });
});
