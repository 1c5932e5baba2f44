import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { hostname } from 'node:os';
import { gunzipSync, inflateSync } from 'node:zlib';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * From Debian's dockerd 20.10.24 (run by hand, 2026-12-07) with a GELF receiver on loopback, for
 * `docker run -l a=1 --log-opt labels=a --log-driver gelf --log-opt gelf-address=udp://127.0.0.1:P busybox sh -c 'echo "hi <x>"; echo err >&2; printf nonl'`,
 * gzip-compressed datagrams (1f8b…) each holding, keys in this order:
 *   {"version":"1.1","host":"vm","short_message":"hi \u003cx\u003e","timestamp":1796686274.567,"level":6,"_a":"1",
 *    "_command":"sh -c echo \"hi \u003cx\u003e\"; echo err \u003e\u00262; printf nonl","_container_id":"<id>","_container_name":"g1",
 *    "_created":"2026-12-07T23:31:14.374214004Z","_image_id":"sha256:<hex>","_image_name":"busybox","_tag":"<id12>"}
 * stderr with "level":3; gelf-compression-type=zlib gives 78 01…, none plain JSON; a 4 kB line arrives in three
 * chunks (1e 0f, 8-byte id, seq, count; 1420, 1420, 620 bytes); tcp:// gives uncompressed JSON ending in "\0".
 */
const ORDER = ['version', 'host', 'short_message', 'timestamp', 'level', '_a', '_command', '_container_id', '_container_name', '_created', '_image_id', '_image_name', '_tag'];

describe('gelf log driver against real receivers on loopback; journald where no journal runs', () => {
  let h: BerthdHarness;
  let udp: dgram.Socket;
  let tcp: net.Server;
  let udpPort = 0;
  let tcpPort = 0;
  const raw: Buffer[] = [];
  const chunks = new Map<string, Buffer[]>();
  let tcpText = '';
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
  const decode = (m: Buffer): string => (m[0] === 0x1f && m[1] === 0x8b ? gunzipSync(m) : m[0] === 0x78 ? inflateSync(m) : m).toString();

  before(async () => {
    udp = dgram.createSocket('udp4');
    udp.on('message', (m) => {
      if (m[0] === 0x1e && m[1] === 0x0f) {
        const id = m.subarray(2, 10).toString('hex');
        const parts = chunks.get(id) ?? [];
        parts[m[10] ?? 0] = m.subarray(12);
        chunks.set(id, parts);
        if (parts.filter(Boolean).length === m[11]) raw.push(Buffer.concat(parts));
        return;
      }
      raw.push(m);
    });
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    udpPort = udp.address().port;
    tcp = net.createServer((s) => s.on('data', (d: Buffer) => (tcpText += d.toString())));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    tcpPort = (tcp.address() as net.AddressInfo).port;
    h = await startBerthd('logging-gelf');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
    udp?.close();
    tcp?.close();
  });

  const run = async (args: string[]): Promise<string> => {
    const r = await docker(['run', '-d', '--network', 'none', '--log-driver', 'gelf', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await docker(['wait', id]);
    await settle();
    return id;
  };

  test('udp gzip: dockerd\'s fields, order and escaping; stderr level 3; logs reads the local cache', async () => {
    raw.length = 0;
    const id = await run(['--name', 'g1', '-l', 'a=1', '--log-opt', 'labels=a', '--log-opt', `gelf-address=udp://127.0.0.1:${udpPort}`, 'busybox', 'sh', '-c', 'echo "hi <x>"; echo err >&2; printf nonl']);
    assert.equal(raw.length, 3);
    assert.ok(raw.every((m) => m[0] === 0x1f && m[1] === 0x8b), 'gzip');
    const texts = raw.map(decode);
    const hi = texts.find((t) => t.includes('"short_message":"hi'));
    assert.ok(hi);
    const imageId = (await docker(['inspect', '-f', '{{.Image}}', id])).stdout.trim();
    const created = (await docker(['inspect', '-f', '{{.Created}}', id])).stdout.trim();
    const obj = JSON.parse(hi) as Record<string, unknown>;
    assert.deepEqual(Object.keys(obj), ORDER);
    assert.ok(hi.includes(String.raw`"short_message":"hi \u003cx\u003e"`));
    assert.ok(hi.includes(String.raw`"_command":"sh -c echo \"hi \u003cx\u003e\"; echo err \u003e\u00262; printf nonl"`));
    assert.match(hi, /"timestamp":\d{10}(\.\d{1,3})?,"level":6,/);
    assert.deepEqual({ ...obj, timestamp: 0 }, {
      version: '1.1', host: hostname(), short_message: 'hi <x>', timestamp: 0, level: 6, _a: '1', _command: 'sh -c echo "hi <x>"; echo err >&2; printf nonl',
      _container_id: id, _container_name: 'g1', _created: created, _image_id: imageId, _image_name: 'busybox', _tag: id.slice(0, 12),
    });
    assert.ok(texts.some((t) => t.includes('"short_message":"err"') && t.includes('"level":3')));
    assert.ok(texts.some((t) => t.includes('"short_message":"nonl"')));
    assert.equal((await docker(['logs', id])).stdout, 'hi <x>\nnonl');
  });

  test('zlib and none compression, a chunked 4 kB message, tag, and tcp with its "\\0" frames', async () => {
    raw.length = 0;
    await run(['--log-opt', `gelf-address=udp://127.0.0.1:${udpPort}`, '--log-opt', 'gelf-compression-type=zlib', 'busybox', 'echo', 'zl']);
    await run(['--log-opt', `gelf-address=udp://127.0.0.1:${udpPort}`, '--log-opt', 'gelf-compression-type=none', '--log-opt', 'tag=mytag', 'busybox', 'echo', 'nocomp']);
    await run(['--log-opt', `gelf-address=udp://127.0.0.1:${udpPort}`, 'busybox', 'sh', '-c', 'head -c 3000 /dev/urandom | base64 -w0; echo']);
    assert.equal(raw[0]?.[0], 0x78, 'zlib');
    assert.match(decode(raw[0] ?? Buffer.alloc(0)), /"short_message":"zl"/);
    assert.equal(raw[1]?.[0], 0x7b, 'plain JSON');
    assert.match(raw[1]?.toString() ?? '', /"short_message":"nocomp".*"_tag":"mytag"\}$/);
    assert.equal(chunks.size, 1, 'one chunked message');
    const [parts] = [...chunks.values()];
    assert.equal(parts?.length, 3);
    assert.equal((JSON.parse(decode(raw[2] ?? Buffer.alloc(0))) as { short_message: string }).short_message.length, 4000);
    await run(['--log-opt', `gelf-address=tcp://127.0.0.1:${tcpPort}`, 'busybox', 'echo', 'tcp1']);
    assert.match(tcpText, /^\{"version":"1.1","host":"[^"]+","short_message":"tcp1","timestamp":[\d.]+,"level":6,.*\}\0$/);
  });

  test('mode=non-blocking: a receiver that stops reading does not hold up the container (blocking mode would)', async () => {
    const stalled = net.createServer((s) => s.pause());
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    const p = (stalled.address() as net.AddressInfo).port;
    const started = Date.now();
    const r = await docker(['run', '-d', '--network', 'none', '--log-driver', 'gelf', '--log-opt', `gelf-address=tcp://127.0.0.1:${p}`, '--log-opt', 'mode=non-blocking', '--log-opt', 'max-buffer-size=1m',
      'busybox', 'sh', '-c', 'yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -n 300000; echo done']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await docker(['wait', r.stdout.trim()])).stdout.trim(), '0');
    assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);

    // Blocking mode (the default): the same container waits for the receiver, as dockerd's; rm -f ends it and its writer.
    const b = await docker(['run', '-d', '--network', 'none', '--log-driver', 'gelf', '--log-opt', `gelf-address=tcp://127.0.0.1:${p}`,
      'busybox', 'sh', '-c', 'yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -n 300000; echo done']);
    assert.equal(b.code, 0, b.stderr);
    const bid = b.stdout.trim();
    await new Promise((res) => setTimeout(res, 3000));
    assert.equal((await docker(['inspect', '-f', '{{.State.Running}}', bid])).stdout.trim(), 'true', 'held up by the receiver');
    assert.equal((await docker(['rm', '-f', bid])).code, 0);
    await new Promise((res) => setTimeout(res, 500));
    assert.deepEqual(await writersOf(bid), [], 'no log writer left behind');
    stalled.close();
  });

  test('bad options as dockerd: create-time 400s, unreachable tcp at start', async () => {
    for (const [opts, text] of [
      [[], 'gelf-address is a required parameter'],
      [['gelf-address=http://x'], 'gelf-address should be in form proto://address, got http://x'],
      [['gelf-address=udp://127.0.0.1'], 'gelf: please provide gelf-address as proto://host:port'],
      [['gelf-address=udp://127.0.0.1:1', 'gelf-compression-type=bogus'], 'unknown value "bogus" for log opt "gelf-compression-type" for gelf log driver'],
      [['gelf-address=udp://127.0.0.1:1', 'gelf-compression-level=10'], 'unknown value "10" for log opt "gelf-compression-level" for gelf log driver'],
      [['gelf-address=udp://127.0.0.1:1', 'bogus=1'], 'unknown log opt "bogus" for gelf log driver'],
      [['gelf-address=udp://127.0.0.1:1', 'gelf-tcp-max-reconnect=x'], '"gelf-tcp-max-reconnect" is only valid for TCP'],
      [['gelf-address=tcp://127.0.0.1:1', 'gelf-tcp-max-reconnect=x'], '"gelf-tcp-max-reconnect" must be a positive integer'],
      [['gelf-address=tcp://127.0.0.1:1', 'gelf-compression-type=gzip'], 'compression is only supported on UDP'],
    ] as const) {
      const c = await docker(['create', '--log-driver', 'gelf', ...opts.flatMap((o) => ['--log-opt', o]), 'busybox', 'true']);
      assert.equal(c.code, 1, opts.join(','));
      assert.ok(c.stderr.includes(`Error response from daemon: ${text}`), `${opts.join(',')}: ${c.stderr}`);
    }
    const c = await docker(['create', '--network', 'none', '--log-driver', 'gelf', '--log-opt', 'gelf-address=tcp://127.0.0.1:1', 'busybox', 'true']);
    const s = await docker(['start', c.stdout.trim()]);
    assert.ok(s.stderr.includes('failed to initialize logging driver: gelf: cannot connect to GELF endpoint: 127.0.0.1:1 dial tcp 127.0.0.1:1: connect: connection refused'), s.stderr);
  });

  test('journald on a host without a journal: dockerd\'s start error; unknown keys at create', async (t) => {
    if ((await import('node:fs')).existsSync('/run/systemd/journal/socket')) return t.skip('a journal runs here');
    const c = await docker(['create', '--network', 'none', '--log-driver', 'journald', 'busybox', 'true']);
    assert.equal(c.code, 0, c.stderr);
    const s = await docker(['start', c.stdout.trim()]);
    assert.ok(s.stderr.includes('Error response from daemon: failed to initialize logging driver: journald is not enabled on this host'), s.stderr);
    const bad = await docker(['create', '--log-driver', 'journald', '--log-opt', 'bogus=1', 'busybox', 'true']);
    assert.ok(bad.stderr.includes("Error response from daemon: unknown log opt 'bogus' for journald log driver"), bad.stderr);
  });
});

/** berth-logger processes whose arguments name the container. */
async function writersOf(id: string): Promise<number[]> {
  const { readdir, readFile } = await import('node:fs/promises');
  const out: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('berth-logger') && cmd.includes(id)) out.push(Number(pid));
  }
  return out;
}
