import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { repoRoot } from '../helpers/berthd-harness.js';
import { startPortProxy } from '../../src/network/port-proxy.js';

// The userland proxy on its own (native/build/berth-proxy through startPortProxy, and the
// in-process fallback), against servers on loopback: relaying, half-close, busy ports, UDP flows, lifetime.
const binary = `${repoRoot}/native/build/berth-proxy`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Alive and not a zombie (an orphan is reaped by init, maybe not at once). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

/** Counts what it receives until the client half-closes, then answers with the count and closes. */
async function countingServer(): Promise<{ port: number; close: () => void }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    let n = 0;
    s.on('data', (b: Buffer) => (n += b.length));
    s.on('end', () => s.end(`${n}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

function sendAndCount(port: number, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let reply = '';
    s.on('connect', () => s.end(Buffer.alloc(bytes, 0x62)));
    s.on('data', (b: Buffer) => (reply += b.toString()));
    s.on('end', () => resolve(reply));
    s.on('error', reject);
  });
}

for (const native of [true, false]) {
  describe(`port proxy (${native ? 'native berth-proxy' : 'in-process fallback'})`, { skip: native && !existsSync(binary) ? 'native/build/berth-proxy not built' : false }, () => {
    test('TCP: relays both ways and passes the half-close on', async () => {
      const srv = await countingServer();
      const p = await startPortProxy({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 0, containerIp: '127.0.0.1', containerPort: srv.port }, { native });
      try {
        assert.equal(p.pid !== undefined, native);
        assert.ok(p.hostPort > 0);
        const sizes = [1, 100_000, 8 * 1024 * 1024];
        const replies = await Promise.all(sizes.map((n) => sendAndCount(p.hostPort, n)));
        assert.deepEqual(replies, sizes.map(String));
      } finally {
        await p.close();
        srv.close();
      }
      if (p.pid !== undefined) assert.ok(await waitGone(p.pid), 'close() ends the process');
    });

    test('an IPv6 host address ([::1]) relays to an IPv4 target', async () => {
      const srv = await countingServer();
      const p = await startPortProxy({ proto: 'tcp', hostIp: '::1', hostPort: 0, containerIp: '127.0.0.1', containerPort: srv.port }, { native });
      try {
        const reply = await new Promise<string>((resolve, reject) => {
          const s = connect({ host: '::1', port: p.hostPort, allowHalfOpen: true });
          let text = '';
          s.on('connect', () => s.end('six'));
          s.on('data', (b: Buffer) => (text += b.toString()));
          s.on('end', () => resolve(text));
          s.on('error', reject);
        });
        assert.equal(reply, '3');
      } finally {
        await p.close();
        srv.close();
      }
    });

    test("a busy port fails with Docker's message", async () => {
      const first = await startPortProxy({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: 0, containerIp: '127.0.0.1', containerPort: 9 }, { native });
      try {
        await assert.rejects(
          startPortProxy({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: first.hostPort, containerIp: '127.0.0.1', containerPort: 9 }, { native }),
          new RegExp(`^EngineError: Bind for 127\\.0\\.0\\.1:${first.hostPort} failed: port is already allocated$`),
        );
      } finally {
        await first.close();
      }
    });

    test('UDP: each client address gets its own flow and its replies', async () => {
      const echo = createSocket('udp4');
      echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
      await new Promise<void>((r) => echo.bind(0, '127.0.0.1', r));
      const p = await startPortProxy({ proto: 'udp', hostIp: '127.0.0.1', hostPort: 0, containerIp: '127.0.0.1', containerPort: echo.address().port }, { native });
      try {
        const ask = async (text: string): Promise<string> => {
          const c = createSocket('udp4');
          try {
            return await new Promise<string>((resolve, reject) => {
              const t = setTimeout(() => reject(new Error('no UDP reply')), 3_000);
              c.on('message', (m) => {
                clearTimeout(t);
                resolve(m.toString());
              });
              c.send(text, p.hostPort, '127.0.0.1');
            });
          } finally {
            c.close();
          }
        };
        assert.deepEqual(await Promise.all([ask('a'), ask('b')]), ['echo:a', 'echo:b']);
      } finally {
        await p.close();
        echo.close();
      }
    });
  });
}

describe('berth-proxy lifetime', { skip: existsSync(binary) ? false : 'native/build/berth-proxy not built' }, () => {
  test('it outlives the process that started it (SIGKILL), keeps relaying, and ends on SIGTERM', async () => {
    const server = await countingServer();
    // A parent that starts the proxy in its own session (as berthd does), prints the proxy's pid and port, then waits to be killed.
    const script = `
      const { spawn } = require('node:child_process');
      const c = spawn(${JSON.stringify(binary)}, ['-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', '0', '-container-ip', '127.0.0.1', '-container-port', '${server.port}', '-owner', '/nonexistent/owner'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true });
      c.stdio[3].once('data', (b) => process.stdout.write(String(c.pid) + ' ' + b.toString().trim().split(' ')[1] + '\\n'));
      setInterval(() => undefined, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [pid = 0, port = 0] = await new Promise<number[]>((resolve) => parent.stdout.once('data', (b: Buffer) => resolve(b.toString().trim().split(' ').map(Number))));
    try {
      assert.ok(running(pid));
      parent.kill('SIGKILL');
      await new Promise((r) => parent.once('exit', r));
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(running(pid), 'the proxy died with its parent');
      assert.equal(await sendAndCount(port, 1000), '1000', 'it still relays');
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50 && running(pid); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(!running(pid), 'the proxy outlived SIGTERM');
    } finally {
      if (running(pid)) process.kill(pid, 'SIGKILL');
      server.close();
    }
  });

  test('bad arguments: usage on stderr, exit 2', async () => {
    const c = spawn(binary, ['-proto', 'sctp'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((r) => c.on('exit', r));
    assert.equal(code, 2);
    assert.match(err, /^usage: berth-proxy/);
  });
});
