import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { htpasswdLine } from '../../src/registry/server/registry-auth.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

// The same assertions through the docker CLI and berth: login stores credentials, push and pull send them.
const cases = [
  { cli: 'docker', token: false },
  { cli: 'berth', token: false },
  { cli: 'docker', token: true },
] as const;
for (const { cli, token } of cases) {
  describe(`registry ${token ? 'bearer token' : 'basic'} auth via ${cli}`, () => {
    let reg: TestRegistry;
    let h: BerthdHarness;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 120_000 });

    before(async () => {
      reg = await startRegistry(`auth-${cli}`, { htpasswd: `${htpasswdLine('alice', 's3cret')}\n`, token });
      h = await startBerthd(`reg-auth-${cli}${token ? '-t' : ''}`, { bridge: 'none' });
      await loadBusybox(h);
      assert.equal((await run(['tag', 'busybox', `${reg.host}/private/bb:1`])).code, 0);
    });
    after(async () => {
      await h?.stop();
      await reg?.stop();
    });

    test('push without credentials is refused', async () => {
      const r = await run(['push', `${reg.host}/private/bb:1`]);
      assert.equal(r.code, 1);
      assert.match(r.stdout + r.stderr, token ? /unauthorized: authentication required/ : /no basic auth credentials/);
    });

    test('login with a wrong password fails', async () => {
      const r = await run(['login', '-u', 'alice', '--password-stdin', reg.host], 'wrong\n');
      assert.equal(r.code, 1);
      assert.match(r.stderr, token ? /unauthorized|401/ : /401 Unauthorized/);
    });

    test('login stores the credentials, then push and pull work', async () => {
      const r = await run(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Login Succeeded/);
      const push = await run(['push', `${reg.host}/private/bb:1`]);
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
      assert.equal((await run(['rmi', `${reg.host}/private/bb:1`])).code, 0);
      const pull = await run(['pull', `${reg.host}/private/bb:1`]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stdout, /Status: Downloaded newer image/);
    });

    test('a build FROM the private image pulls it with the credentials the CLI sends in X-Registry-Config', async () => {
      assert.equal((await run(['rmi', `${reg.host}/private/bb:1`])).code, 0);
      const dir = await mkdtemp(join(tmpdir(), 'berth-build-auth-'));
      try {
        await writeFile(join(dir, 'Dockerfile'), `FROM ${reg.host}/private/bb:1\nRUN echo built > /built\n`);
        const r = await run(['build', '-t', 'built-from-private', dir]);
        assert.equal(r.code, 0, r.stderr + r.stdout);
        assert.equal((await run(['image', 'inspect', '-f', '{{.Id}}', `${reg.host}/private/bb:1`])).code, 0);
        assert.equal((await run(['rmi', 'built-from-private', `${reg.host}/private/bb:1`])).code, 0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('logout removes the credentials', async () => {
      const r = await run(['logout', reg.host]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Removing login credentials for ${reg.host}`));
      const pull = await run(['pull', `${reg.host}/private/bb:1`]);
      assert.equal(pull.code, 1);
      const dir = await mkdtemp(join(tmpdir(), 'berth-build-noauth-'));
      try {
        await writeFile(join(dir, 'Dockerfile'), `FROM ${reg.host}/private/bb:1\n`);
        const build = await run(['build', dir]);
        assert.notEqual(build.code, 0, 'a build without credentials cannot pull the private base image');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
