import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

const exec = promisify(execFile);

// Docker tries HTTPS first for insecure registries (loopback ones are insecure by default) without
// verifying the certificate, and falls back to HTTP. Here one loopback registry speaks TLS with a
// certificate nobody trusts (no CA in berthd's certs dir, nothing in insecure-registries) and
// another plain HTTP; the same daemon pushes to and pulls from both.
describe('loopback registries: HTTPS first, then HTTP', () => {
  let h: BerthdHarness;
  let tlsReg: TestRegistry;
  let httpReg: TestRegistry;
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp('/dev/shm/berth-h5-probe-');
    await mkdir(`${tmp}/certs.d`);
    await exec('bash', [`${repoRoot}/scripts/gen-certs.sh`, `${tmp}/pki`, '127.0.0.1'], { env: { ...process.env, KEY_BITS: '2048' } });
    tlsReg = await startRegistry('h5-probe-tls', { addr: '127.0.0.1', log: true, tls: { certificate: `${tmp}/pki/server-cert.pem`, key: `${tmp}/pki/server-key.pem` } });
    httpReg = await startRegistry('h5-probe-http', { log: true });
    h = await startBerthd('h5-probe', { bridge: 'none', env: { BERTH_CERTS_DIR: `${tmp}/certs.d` } });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
    await tlsReg?.stop();
    await httpReg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the registry only speaks TLS', async () => {
    const plain = await fetch(`http://${tlsReg.host}/v2/`).then(
      (r) => r.status,
      () => 0,
    );
    assert.notEqual(plain, 200);
  });

  for (const which of ['tls', 'http'] as const) {
    test(`push and pull with a ${which} loopback registry, no configuration`, async () => {
      const reg = which === 'tls' ? tlsReg : httpReg;
      const ref = `${reg.host}/probe/bb:1`;
      const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 120_000 });
      assert.equal((await docker(['tag', 'busybox', ref])).code, 0);
      const push = await docker(['push', ref]);
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
      assert.equal((await docker(['rmi', ref])).code, 0);
      const pull = await runCli('berth', ['pull', ref], { env: h.env, timeoutMs: 120_000 });
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stdout, /Status: Downloaded newer image/);
      // every request of the push and the pull reached the registry (over TLS for the TLS one)
      assert.match(reg.log(), /PUT/);
      assert.match(reg.log(), /\/v2\/probe\/bb\/blobs\/sha256:/);
    });
  }

  test('docker login to the TLS loopback registry works without its CA', async () => {
    const r = await runCli('docker', ['login', '-u', 'x', '--password-stdin', tlsReg.host], { env: h.env, input: 'y\n' });
    // the registry has no auth: the daemon's login check passes over https
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
  });
});
