import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm, copyFile } from 'node:fs/promises';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

const exec = promisify(execFile);

async function htpasswdBcrypt(user: string, password: string): Promise<string> {
  return (await exec('htpasswd', ['-nbB', user, password])).stdout.trim() + '\n';
}

describe('berth registry serve: bcrypt htpasswd', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry('bcrypt', { htpasswd: await htpasswdBcrypt('bob', 'hunter2') });
  });
  after(async () => {
    await reg?.stop();
  });
  const get = (auth?: string): Promise<Response> => fetch(`http://${reg.host}/v2/`, auth ? { headers: { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } } : {});

  test('the right password passes, a wrong one or none is UNAUTHORIZED', async () => {
    assert.equal((await get('bob:hunter2')).status, 200);
    assert.equal((await get('bob:hunter2')).status, 200); // the cached check
    const wrong = await get('bob:hunter3');
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { errors: { code: string }[] }).errors[0]?.code, 'UNAUTHORIZED');
    assert.equal((await get('eve:hunter2')).status, 401);
    const none = await get();
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="test"');
  });
});

// The registry listens on the test daemon's bridge address (not loopback, so not insecure by default)
// with a certificate from a private CA; berthd trusts it only once the CA is in its certs dir
// (BERTH_CERTS_DIR, standing in for /etc/berth/certs.d and /etc/docker/certs.d).
describe('registry over TLS with a custom CA', () => {
  let h: BerthdHarness;
  let reg: TestRegistry;
  let tmp: string;
  let certs: string;
  before(async () => {
    tmp = await mkdtemp('/dev/shm/berth-reg-tls-');
    certs = `${tmp}/certs.d`;
    await mkdir(certs);
    h = await startBerthd('reg-tls', { env: { BERTH_CERTS_DIR: certs } });
    const addr = (await exec('ip', ['-4', '-o', 'addr', 'show', 'dev', h.bridge])).stdout;
    const ip = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(addr)?.[1];
    assert.ok(ip, `bridge ${h.bridge} has no IPv4 address: ${addr}`);
    await exec('bash', [`${repoRoot}/scripts/gen-certs.sh`, `${tmp}/pki`, ip], { env: { ...process.env, KEY_BITS: '2048' } });
    reg = await startRegistry('tls', {
      addr: ip,
      htpasswd: await htpasswdBcrypt('alice', 's3cret'),
      tls: { certificate: `${tmp}/pki/server-cert.pem`, key: `${tmp}/pki/server-key.pem` },
    });
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
    await reg?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('without the CA the certificate is refused', async () => {
    const r = await runCli('docker', ['login', '-u', 'alice', '--password-stdin', reg.host], { env: h.env, input: 's3cret\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /certificate|x509/i);
  });

  test('with the CA in certs.d/<host:port>: login, push and pull over https (docker CLI and berth)', async () => {
    await mkdir(`${certs}/${reg.host}`);
    await copyFile(`${tmp}/pki/ca.pem`, `${certs}/${reg.host}/ca.crt`);
    for (const cli of ['docker', 'berth'] as const) {
      const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 120_000 });
      const ref = `${reg.host}/secure/${cli}:1`;
      const login = await run(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret\n');
      assert.equal(login.code, 0, login.stderr);
      assert.match(login.stdout, /Login Succeeded/);
      assert.equal((await run(['tag', 'busybox', ref])).code, 0);
      const push = await run(['push', ref]);
      assert.equal(push.code, 0, push.stderr);
      assert.match(push.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);
      assert.equal((await run(['rmi', ref])).code, 0);
      const pull = await run(['pull', ref]);
      assert.equal(pull.code, 0, pull.stderr);
      assert.match(pull.stdout, /Status: Downloaded newer image/);
      assert.equal((await run(['logout', reg.host])).code, 0);
    }
  });
});
