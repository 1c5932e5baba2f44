import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Decoder, ExtensionCodec, encode } from '@msgpack/msgpack';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * From Debian's dockerd 20.10.24 (run by hand, 2026-12-07) with a forward receiver on loopback, for
 * `docker run --name f1 -l a=1 --log-opt labels=a --log-driver fluentd --log-opt fluentd-address=127.0.0.1:P busybox sh -c 'echo "hi <x>"; echo err >&2; printf nonl'`,
 * msgpack arrays [tag, time, record, option] (Message Mode with an empty option map), e.g. decoded:
 *   ["e78b767563fb", 1796686486 (int32), {"container_id":"<64 hex>","container_name":"/f1","source":"stdout","log":"hi <x>","a":"1"}, {}]
 *   the EOF partial "nonl" adds partial_message "true", partial_id <64 hex>, partial_ordinal "1", partial_last "false";
 *   fluentd-sub-second-precision=true sends the time as EventTime (ext type 0: 4-byte seconds, 4-byte nanoseconds); tag=mytag → "mytag".
 * (dockerd's map order is Go's random map order; receivers do not depend on it.)
 */
type Msg = [string, number | { sec: number; nsec: number }, Record<string, string>, Record<string, unknown>];

describe('fluentd log driver against a forward receiver on loopback', () => {
  let h: BerthdHarness;
  let srv: net.Server;
  let port = 0;
  const got: Msg[] = [];
  let ackMode = false;
  const codec = new ExtensionCodec();
  codec.register({
    type: 0,
    encode: () => null,
    decode: (d: Uint8Array) => {
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      return { sec: v.getUint32(0), nsec: v.getUint32(4) };
    },
  });
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));

  before(async () => {
    srv = net.createServer((s) => {
      const dec = new Decoder({ extensionCodec: codec });
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        // Decode as many whole messages as arrived.
        for (;;) {
          try {
            let used = 0;
            const stream = dec.decodeMulti(buf);
            for (const m of stream) {
              got.push(m as Msg);
              used = buf.length;
              const chunk = (m as Msg)[3]?.['chunk'];
              if (ackMode && typeof chunk === 'string') s.write(encode({ ack: chunk }));
            }
            if (used) buf = Buffer.alloc(0);
          } catch {
            // an incomplete message: wait for more bytes
          }
          break;
        }
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    port = (srv.address() as net.AddressInfo).port;
    h = await startBerthd('logging-fluentd');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
    srv?.close();
  });

  const run = async (args: string[]): Promise<string> => {
    const r = await docker(['run', '-d', '--network', 'none', '--log-driver', 'fluentd', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    await docker(['wait', id]);
    await settle();
    return id;
  };

  test('records as dockerd sends them, the EOF partial\'s metadata, logs from the local cache', async () => {
    got.length = 0;
    const id = await run(['--name', 'f1', '-l', 'a=1', '--log-opt', 'labels=a', '--log-opt', `fluentd-address=127.0.0.1:${port}`, 'busybox', 'sh', '-c', 'echo "hi <x>"; echo err >&2; printf nonl']);
    assert.equal(got.length, 3);
    for (const [tag, time, , option] of got) {
      assert.equal(tag, id.slice(0, 12));
      assert.equal(typeof time, 'number');
      assert.deepEqual(option, {});
    }
    const byLog = new Map(got.map((m) => [m[2]['log'], m[2]]));
    assert.deepEqual(byLog.get('hi <x>'), { container_id: id, container_name: '/f1', source: 'stdout', log: 'hi <x>', a: '1' });
    assert.deepEqual(byLog.get('err'), { container_id: id, container_name: '/f1', source: 'stderr', log: 'err', a: '1' });
    const partial = byLog.get('nonl') ?? {};
    assert.match(partial['partial_id'] ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual({ ...partial, partial_id: 'x' }, {
      container_id: id, container_name: '/f1', source: 'stdout', log: 'nonl', a: '1', partial_message: 'true', partial_id: 'x', partial_ordinal: '1', partial_last: 'false',
    });
    assert.equal((await docker(['logs', id])).stdout, 'hi <x>\nnonl');
  });

  test('tag, EventTime with fluentd-sub-second-precision, 16 KiB pieces numbered, request-ack answered', async () => {
    got.length = 0;
    await run(['--log-opt', `fluentd-address=tcp://127.0.0.1:${port}`, '--log-opt', 'tag=mytag', '--log-opt', 'fluentd-sub-second-precision=true', 'busybox', 'sh', '-c', 'head -c 40000 /dev/zero | tr "\\0" q; echo']);
    assert.equal(got.length, 3);
    assert.ok(got.every((m) => m[0] === 'mytag' && typeof m[1] === 'object'));
    assert.deepEqual(got.map((m) => [m[2]['log']?.length, m[2]['partial_ordinal'], m[2]['partial_last']]), [[16384, '1', 'false'], [16384, '2', 'false'], [7232, '3', 'true']]);
    assert.equal(new Set(got.map((m) => m[2]['partial_id'])).size, 1);
    got.length = 0;
    ackMode = true;
    await run(['--log-opt', `fluentd-address=127.0.0.1:${port}`, '--log-opt', 'fluentd-request-ack=true', 'busybox', 'echo', 'acked']);
    ackMode = false;
    assert.equal(got[0]?.[2]['log'], 'acked');
    assert.equal(typeof got[0]?.[3]['chunk'], 'string');
  });

  test('fluentd-async: a receiver that is not there at start; bad options as dockerd', async () => {
    const r = await run(['--log-opt', 'fluentd-address=127.0.0.1:1', '--log-opt', 'fluentd-async=true', 'busybox', 'echo', 'nobody']);
    assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', r])).stdout.trim(), '0');
    assert.equal((await docker(['logs', r])).stdout, 'nobody\n');
    const c = await docker(['create', '--network', 'none', '--log-driver', 'fluentd', '--log-opt', 'fluentd-address=127.0.0.1:1', 'busybox', 'true']);
    const s = await docker(['start', c.stdout.trim()]);
    assert.ok(s.stderr.includes('Error response from daemon: failed to initialize logging driver: dial tcp 127.0.0.1:1: connect: connection refused'), s.stderr);
    const u = await docker(['create', '--network', 'none', '--log-driver', 'fluentd', '--log-opt', 'fluentd-address=unix:///nonexist.sock', 'busybox', 'true']);
    const us = await docker(['start', u.stdout.trim()]);
    assert.ok(us.stderr.includes('failed to initialize logging driver: dial unix /nonexist.sock: connect: no such file or directory'), us.stderr);
    for (const [opt, text] of [
      ['fluentd-address=http://x:1', 'invalid fluentd-address http://x:1: address http://x:1: too many colons in address'],
      ['fluentd-async=x', 'strconv.ParseBool: parsing "x": invalid syntax'],
      ['fluentd-buffer-limit=x', "invalid size: 'x'"],
      ['fluentd-retry-wait=x', 'time: invalid duration "x"'],
      ['fluentd-max-retries=x', 'strconv.ParseUint: parsing "x": invalid syntax'],
      ['bogus=1', "unknown log opt 'bogus' for fluentd log driver"],
      ['fluentd-address=127.0.0.1:x', 'invalid fluentd-address 127.0.0.1:x: strconv.Atoi: parsing "x": invalid syntax'],
    ] as const) {
      const b = await docker(['create', '--log-driver', 'fluentd', '--log-opt', opt, 'busybox', 'true']);
      assert.equal(b.code, 1, opt);
      assert.ok(b.stderr.includes(`Error response from daemon: ${text}`), `${opt}: ${b.stderr}`);
    }
  });
});
