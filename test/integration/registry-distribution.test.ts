import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const REGISTRY_BIN = '/usr/bin/docker-registry';
const HTPASSWD_BIN = '/usr/bin/htpasswd';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// Debian's docker-registry (distribution 2.8) with htpasswd (bcrypt) auth, run by hand on tmpfs.
describe('berthd against distribution (docker-registry)', { skip: !existsSync(REGISTRY_BIN) || !existsSync(HTPASSWD_BIN) ? 'needs docker-registry and apache2-utils' : false }, () => {
  let child: ChildProcess;
  let dir: string;
  let host: string;
  let src: BerthdHarness;
  let dst: BerthdHarness;
  let digest = '';

  before(async () => {
    dir = `/dev/shm/berth-distribution-${randomBytes(3).toString('hex')}`;
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    await writeFile(`${dir}/htpasswd`, execFileSync(HTPASSWD_BIN, ['-nbB', 'carol', 'pw']));
    await writeFile(
      `${dir}/config.yml`,
      [
        'version: 0.1',
        'log: {level: error}',
        `storage: {filesystem: {rootdirectory: ${dir}/storage}, delete: {enabled: true}}`,
        `http: {addr: "${host}"}`,
        `auth: {htpasswd: {realm: test, path: ${dir}/htpasswd}}`,
        '',
      ].join('\n'),
    );
    child = spawn(REGISTRY_BIN, ['serve', `${dir}/config.yml`], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.resume();
    for (let i = 0; i < 50; i++) {
      const ok = await fetch(`http://${host}/v2/`).then((r) => r.status === 401, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    src = await startBerthd('dist-src', { bridge: 'none' });
    dst = await startBerthd('dist-dst', { bridge: 'none' });
    await loadBusybox(src);
  });
  after(async () => {
    await src?.stop();
    await dst?.stop();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('docker login and push through berthd', async () => {
    const login = await runCli('docker', ['login', '-u', 'carol', '--password-stdin', host], { env: src.env, input: 'pw\n' });
    assert.equal(login.code, 0, login.stderr);
    assert.equal((await runCli('docker', ['tag', 'busybox', `${host}/bb:dist`], { env: src.env })).code, 0);
    const push = await runCli('docker', ['push', `${host}/bb:dist`], { env: src.env, timeoutMs: 120_000 });
    assert.equal(push.code, 0, push.stderr);
    const m = /dist: digest: (sha256:[a-f0-9]{64})/.exec(push.stdout);
    assert.ok(m, push.stdout);
    digest = m[1] ?? '';
  });

  test('berth login, pull by digest and run from the other daemon', async () => {
    const login = await runCli('berth', ['login', '-u', 'carol', '--password-stdin', host], { env: dst.env, input: 'pw\n' });
    assert.equal(login.code, 0, login.stderr);
    const pull = await runCli('berth', ['pull', `${host}/bb@${digest}`], { env: dst.env, timeoutMs: 120_000 });
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, new RegExp(`Digest: ${digest}`));
    const run = await runCli('docker', ['run', '--rm', `${host}/bb@${digest}`, 'echo', 'from distribution'], { env: dst.env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'from distribution\n');
  });

  test('an unknown repository on distribution gives Docker\'s error', async () => {
    const r = await runCli('docker', ['pull', `${host}/nope`], { env: dst.env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: manifest for 127\.0\.0\.1:\d+\/nope:latest not found: manifest unknown: manifest unknown/);
  });
});
