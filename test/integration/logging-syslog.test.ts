import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * Messages from Debian's dockerd 20.10.24 (run by hand on its own data root,
 * 2026-12-07) to receivers on loopback, for `sh -c 'echo "hi <x>"; echo err >&2; printf nonl'`:
 *   default       <30>Dec  7 23:25:50 f59efbb979fb[19694]: hi <x>\n   (<27> for stderr; "nonl" is a message of its own)
 *   rfc3164       <30>Dec  7 23:25:50 vm dfd9c1c35be7[19694]: hi <x>\n
 *   rfc5424       <30>1 2026-12-07T23:25:50Z vm 388b70e79919 19694 388b70e79919 - hi <x>\n
 *   rfc5424micro  <30>1 2026-12-07T23:25:50.906222Z vm 11068ecdd17b 19694 11068ecdd17b - hi <x>\n
 *   tcp, tag={{.Name}}, syslog-facility=local3:  <158>Dec  7 23:25:51 sltcp[19694]: tcp1\n
 *   unix://…:     <30>Dec  7 23:25:53 c1b0990ad040[19694]: unix1\n
 * The pid is dockerd's there and berth-logger's here; times are the sender's clock.
 */
const STAMP = String.raw`[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d`;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('syslog log driver against real receivers on loopback', () => {
  let h: BerthdHarness;
  let udp: dgram.Socket;
  let tcp: net.Server;
  let unixSrv: net.Server;
  const unixPath = `/tmp/berth-syslog-test-${process.pid}.sock`;
  const got: { udp: string[]; tcp: string; unix: string } = { udp: [], tcp: '', unix: '' };
  let udpPort = 0;
  let tcpPort = 0;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const run = async (args: string[]): Promise<string> => {
    const r = await docker(['run', '-d', '--network', 'none', '--log-driver', 'syslog', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await docker(['wait', id]);
    return id;
  };
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

  before(async () => {
    udp = dgram.createSocket('udp4');
    udp.on('message', (m) => got.udp.push(m.toString('latin1')));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    udpPort = udp.address().port;
    tcp = net.createServer((s) => s.on('data', (d: Buffer) => (got.tcp += d.toString('latin1'))));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    tcpPort = (tcp.address() as net.AddressInfo).port;
    await rm(unixPath, { force: true });
    unixSrv = net.createServer((s) => s.on('data', (d: Buffer) => (got.unix += d.toString('latin1'))));
    await new Promise<void>((r) => unixSrv.listen(unixPath, r));
    h = await startBerthd('logging-syslog');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
    udp?.close();
    tcp?.close();
    unixSrv?.close();
    await rm(unixPath, { force: true });
  });

  test('udp, each syslog-format as dockerd; stderr is severity err; logs reads the local cache (dual logging)', async () => {
    const host = hostname();
    const want: Record<string, (id: string, pri: number, msg: string) => RegExp> = {
      '': (id, pri, msg) => new RegExp(`^<${pri}>${STAMP} ${id}\\[\\d+\\]: ${esc(msg)}\\n$`),
      rfc3164: (id, pri, msg) => new RegExp(`^<${pri}>${STAMP} ${esc(host)} ${id}\\[\\d+\\]: ${esc(msg)}\\n$`),
      rfc5424: (id, pri, msg) => new RegExp(`^<${pri}>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(Z|[+-]\\d\\d:\\d\\d) ${esc(host)} ${id} \\d+ ${id} - ${esc(msg)}\\n$`),
      rfc5424micro: (id, pri, msg) => new RegExp(`^<${pri}>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}(Z|[+-]\\d\\d:\\d\\d) ${esc(host)} ${id} \\d+ ${id} - ${esc(msg)}\\n$`),
    };
    for (const [format, re] of Object.entries(want)) {
      got.udp = [];
      const id = await run(['--log-opt', `syslog-address=udp://127.0.0.1:${udpPort}`, ...(format ? ['--log-opt', `syslog-format=${format}`] : []), 'busybox', 'sh', '-c', 'echo "hi <x>"; echo err >&2; printf nonl']);
      await settle();
      const short = id.slice(0, 12);
      assert.equal(got.udp.length, 3, `${format}: ${JSON.stringify(got.udp)}`);
      assert.ok(got.udp.some((m) => re(short, 30, 'hi <x>').test(m)), `${format}: ${JSON.stringify(got.udp)}`);
      assert.ok(got.udp.some((m) => re(short, 27, 'err').test(m)), `${format}: ${JSON.stringify(got.udp)}`);
      assert.ok(got.udp.some((m) => re(short, 30, 'nonl').test(m)), `${format}: ${JSON.stringify(got.udp)}`);
      const logs = await docker(['logs', id]);
      assert.equal(logs.stdout, 'hi <x>\nnonl');
      assert.equal(logs.stderr, 'err\n');
    }
  });

  test('tcp with tag and facility, and unix: dockerd\'s lines; a receiver that goes away stalls nothing', async () => {
    await run(['--name', 'sltcp', '--log-opt', `syslog-address=tcp://127.0.0.1:${tcpPort}`, '--log-opt', 'tag={{.Name}}', '--log-opt', 'syslog-facility=local3', 'busybox', 'echo', 'tcp1']);
    const uid = await run(['--log-opt', `syslog-address=unix://${unixPath}`, 'busybox', 'echo', 'unix1']);
    await settle();
    assert.match(got.tcp, new RegExp(`^<158>${STAMP} sltcp\\[\\d+\\]: tcp1\\n$`));
    assert.match(got.unix, new RegExp(`^<30>${STAMP} ${uid.slice(0, 12)}\\[\\d+\\]: unix1\\n$`));

    // A receiver that accepts, then closes every connection: the container runs to its end, berthd answers throughout.
    const flaky = net.createServer((s) => setTimeout(() => s.destroy(), 100));
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const port = (flaky.address() as net.AddressInfo).port;
    const r = await docker(['run', '-d', '--network', 'none', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${port}`, 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 200 ]; do echo "n $i"; i=$((i+1)); [ $((i % 50)) = 0 ] && sleep 0.2; done']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await new Promise((res) => setTimeout(res, 300));
    flaky.close();
    assert.equal((await docker(['ps', '-q'])).code, 0);
    assert.equal((await docker(['wait', id])).stdout.trim(), '0');
    const lines = (await docker(['logs', id])).stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 200, 'the local cache has every line even when the receiver dropped some');
  });

  test('bad options: dockerd\'s texts, at create (400, nothing created) or at start (unreachable receiver)', async () => {
    for (const [opt, text] of [
      ['syslog-address=http://x', 'syslog-address should be in form proto://address, got http://x'],
      ['syslog-facility=bogus', 'invalid syslog facility'],
      ['syslog-format=bogus', 'Invalid syslog format'],
      ['bogus=1', "unknown log opt 'bogus' for syslog log driver"],
      ['syslog-address=unix:///nonexistent.sock', 'stat /nonexistent.sock: no such file or directory'],
      ['syslog-address=udp://[::1]:514,x', 'parse "udp://[::1]:514,x": invalid port ":514,x" after host'],
    ] as const) {
      const c = await docker(['create', '--log-driver', 'syslog', '--log-opt', opt, 'busybox', 'true']);
      assert.equal(c.code, 1, opt);
      assert.ok(c.stderr.includes(`Error response from daemon: ${text}`), `${opt}: ${c.stderr}`);
    }
    const c = await docker(['create', '--network', 'none', '--log-driver', 'syslog', '--log-opt', 'syslog-address=tcp://127.0.0.1:1', 'busybox', 'true']);
    assert.equal(c.code, 0, c.stderr);
    const s = await docker(['start', c.stdout.trim()]);
    assert.ok(s.stderr.includes('Error response from daemon: failed to initialize logging driver: dial tcp 127.0.0.1:1: connect: connection refused'), s.stderr);
    assert.equal((await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', c.stdout.trim()])).stdout.trim(), 'created 128');
  });

  // dockerd 20.10 with syslog-address=tcp+tls://127.0.0.1:P and syslog-tls-ca-cert (a node TLS server, self-signed cert):
  //   default format: "<30>Dec  7 23:42:50 c71be1fc9488[4587]: one\n"; rfc5424 framed as RFC 5425:
  //   "74 <30>1 2026-12-07T23:42:52Z vm 5144e2c4edd3 4587 5144e2c4edd3 - onerfc5424\n" (the length counts the "\n");
  //   no CA given: "failed to initialize logging driver: x509: certificate signed by unknown authority";
  //   syslog-tls-ca-cert=/nonexist: "… could not read CA certificate \"/nonexist\": open /nonexist: no such file or directory".
  test('tcp+tls: verified against the CA, RFC 5425 framing for rfc5424, dockerd\'s errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-syslog-tls-'));
    try {
      const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      assert.equal(gen.status, 0, gen.stderr.toString());
      let text = '';
      const srv = tls.createServer({ key: await readFile(`${dir}/key.pem`), cert: await readFile(`${dir}/cert.pem`) }, (s) => s.on('data', (d: Buffer) => (text += d.toString())));
      srv.on('tlsClientError', () => undefined);
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      const p = (srv.address() as net.AddressInfo).port;
      const id = await run(['--log-opt', `syslog-address=tcp+tls://127.0.0.1:${p}`, '--log-opt', `syslog-tls-ca-cert=${dir}/cert.pem`, 'busybox', 'echo', 'one']);
      const id5 = await run(['--log-opt', `syslog-address=tcp+tls://127.0.0.1:${p}`, '--log-opt', `syslog-tls-ca-cert=${dir}/cert.pem`, '--log-opt', 'syslog-format=rfc5424', 'busybox', 'echo', 'five']);
      await settle();
      const lines = text.split(/(?<=\n)/);
      assert.ok(lines.some((l) => new RegExp(`^<30>${STAMP} ${id.slice(0, 12)}\\[\\d+\\]: one\\n$`).test(l)), text);
      const framed = lines.find((l) => l.includes('five')) ?? '';
      const m = /^(\d+) (.*\n)$/s.exec(framed);
      assert.ok(m, framed);
      assert.equal(Number(m[1]), Buffer.byteLength(m[2] ?? ''));
      assert.match(m[2] ?? '', new RegExp(`^<30>1 \\S+ ${esc(hostname())} ${id5.slice(0, 12)} \\d+ ${id5.slice(0, 12)} - five\\n$`));
      const noCa = await docker(['create', '--network', 'none', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp+tls://127.0.0.1:${p}`, 'busybox', 'true']);
      const s1 = await docker(['start', noCa.stdout.trim()]);
      assert.ok(s1.stderr.includes('failed to initialize logging driver: x509: certificate signed by unknown authority'), s1.stderr);
      const skip = await run(['--log-opt', `syslog-address=tcp+tls://127.0.0.1:${p}`, '--log-opt', 'syslog-tls-skip-verify=true', 'busybox', 'echo', 'skipv']);
      assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', skip])).stdout.trim(), '0');
      await settle();
      assert.ok(text.includes('skipv'));
      const badCa = await docker(['create', '--network', 'none', '--log-driver', 'syslog', '--log-opt', `syslog-address=tcp+tls://127.0.0.1:${p}`, '--log-opt', 'syslog-tls-ca-cert=/nonexist', 'busybox', 'true']);
      const s2 = await docker(['start', badCa.stdout.trim()]);
      assert.ok(s2.stderr.includes('failed to initialize logging driver: could not read CA certificate "/nonexist": open /nonexist: no such file or directory'), s2.stderr);
      srv.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('cache-disabled=true: nothing kept locally, logs is dockerd\'s 501 text', async () => {
    const id = await run(['--log-opt', `syslog-address=udp://127.0.0.1:${udpPort}`, '--log-opt', 'cache-disabled=true', 'busybox', 'echo', 'x']);
    const logs = await docker(['logs', id]);
    assert.equal(logs.stderr.trim(), 'Error response from daemon: configured logging driver does not support reading');
  });
});
