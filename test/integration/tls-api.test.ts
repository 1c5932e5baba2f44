import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Sends `data` over plain TCP and resolves with everything the server sent until it closed (10 s at most). */
function rawExchange(host: string, data: string): Promise<string> {
  const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(host);
  return new Promise((resolve, reject) => {
    const sock = connect({ host: m?.[1] ?? '', port: Number(m?.[2]) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('the server did not close the connection'));
    }, 10_000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    sock.write(data);
  });
}

describe('berthd over TCP with mutual TLS', () => {
  let h: BerthdHarness;
  let certs: string;
  let noClientCert: string;
  let v4: string;
  let v6: string;

  before(async () => {
    const dir = `/dev/shm/berth-tls-${process.pid}`;
    certs = `${dir}/certs`;
    noClientCert = `${dir}/ca-only`;
    const gen = await exec(`${repoRoot}/scripts/gen-certs.sh`, [certs], { ...process.env, KEY_BITS: '2048' });
    assert.equal(gen.code, 0, gen.stderr);
    await mkdir(noClientCert, { recursive: true });
    await copyFile(`${certs}/ca.pem`, `${noClientCert}/ca.pem`);
    v4 = `tcp://127.0.0.1:${await freePort('127.0.0.1')}`;
    v6 = `tcp://[::1]:${await freePort('::1')}`;
    h = await startBerthd('tls-api', {
      args: ['-H', v4, '-H', v6, '--tlsverify', '--tlscacert', `${certs}/ca.pem`, '--tlscert', `${certs}/server-cert.pem`, '--tlskey', `${certs}/server-key.pem`],
    });
  });
  after(async () => {
    await h?.stop();
    await exec('rm', ['-rf', `/dev/shm/berth-tls-${process.pid}`]);
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`${cli}: --tlsverify with a client certificate reaches the daemon (IPv4 and IPv6)`, async () => {
      for (const host of [v4, v6]) {
        const flags = ['--tlsverify', '--tlscacert', `${certs}/ca.pem`, '--tlscert', `${certs}/cert.pem`, '--tlskey', `${certs}/key.pem`, '-H', host];
        const r = await runCli(cli, [...flags, 'version'], { env: h.env });
        assert.equal(r.code, 0, `${host}: ${r.stderr}`);
        assert.match(r.stdout, /Server/);
      }
    });

    test(`${cli}: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH select TLS and the certificates`, async () => {
      const env = { ...h.env, DOCKER_HOST: v4, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs };
      const r = await runCli(cli, ['info'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Security Options:/);
    });

    test(`${cli}: without a client certificate the handshake is refused`, async () => {
      const env = { ...h.env, DOCKER_HOST: v4, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: noClientCert };
      const r = await runCli(cli, ['version'], { env });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /certificate required/);
      assert.doesNotMatch(r.stdout, /Server:/);
    });

    test(`${cli}: plain HTTP to the TLS port gets no API answer, only Go's plain-HTTP error`, async () => {
      for (const host of [v4, v6]) {
        const r = await runCli(cli, ['-H', host, 'version'], { env: h.env });
        assert.notEqual(r.code, 0);
        assert.doesNotMatch(r.stdout, /Server:/);
        assert.match(r.stderr, /Error response from daemon: Client sent an HTTP request to an HTTPS server\./);
      }
    });
  }

  test('curl with the client certificate gets /_ping; without it the server refuses', async () => {
    const url = `https://127.0.0.1:${v4.split(':').pop() ?? ''}/_ping`;
    const ok = await exec('curl', ['-sS', '--cacert', `${certs}/ca.pem`, '--cert', `${certs}/cert.pem`, '--key', `${certs}/key.pem`, url]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'OK');
    const denied = await exec('curl', ['-sS', '--cacert', `${certs}/ca.pem`, url]);
    assert.notEqual(denied.code, 0);
  });

  test('a raw plain HTTP request to the TLS port gets the exact bytes dockerd sends, then the connection closes', async () => {
    const reply = await rawExchange(v4, 'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(reply, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    const head = await rawExchange(v4, 'HEAD /_ping HTTP/1.1\r\n\r\n');
    assert.equal(head, 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
  });

  test('non-HTTP garbage on the TLS port gets no HTTP answer; TLS still works afterwards', async () => {
    const reply = await rawExchange(v4, 'hello there\r\n');
    assert.doesNotMatch(reply, /HTTP/);
    const url = `https://127.0.0.1:${v4.split(':').pop() ?? ''}/_ping`;
    const ok = await exec('curl', ['-sS', '--cacert', `${certs}/ca.pem`, '--cert', `${certs}/cert.pem`, '--key', `${certs}/key.pem`, url]);
    assert.equal(ok.stdout, 'OK', ok.stderr);
  });

  test('berthd refuses tcp:// without mutual TLS', async () => {
    const r = await exec(process.execPath, [`${repoRoot}/dist/src/daemon/main.js`, '--data-root', `${h.root}/refused`, '--exec-root', `${h.root}/refused-exec`, '--pidfile', `${h.root}/refused.pid`, '-H', 'tcp://127.0.0.1:2399']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /refusing to listen on tcp:\/\/127\.0\.0\.1:2399 without mutual TLS/);
  });
});

describe('berthd over plain TCP with the explicit --tls=false opt-in', () => {
  let h: BerthdHarness;
  let host: string;
  before(async () => {
    host = `tcp://127.0.0.1:${await freePort('127.0.0.1')}`;
    h = await startBerthd('tls-insecure', { args: ['-H', host, '--tls=false'] });
  });
  after(async () => {
    await h?.stop();
  });

  test('it serves and warns in the log and in info', async () => {
    const v = await runCli('docker', ['-H', host, 'version'], { env: h.env });
    assert.equal(v.code, 0, v.stderr);
    const info = await runCli('docker', ['-H', host, 'info'], { env: h.env });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout + info.stderr, /API is accessible on http:\/\/127\.0\.0\.1:\d+ without encryption/);
    assert.match(await h.logs(), /without encryption/);
  });
});
