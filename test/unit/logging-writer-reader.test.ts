import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureDone, startFileCapture, LOG_WRITER_HELPER } from '../../src/logging/log-capture.js';
import { readLogFiles } from '../../src/logging/log-reader.js';
import type { LogRecord } from '../../src/logging/log-record.js';

/**
 * native/build/berth-logger fed through its fifo with conmon's k8s-file lines,
 * as conmon writes them, then read back with readLogFiles. Expected records:
 * dockerd 20.10.24 for the same output (see test/integration/logging-json-file.test.ts).
 */
const k8s = (time: string, stream: string, tag: 'P' | 'F', text: Buffer | string): Buffer =>
  Buffer.concat([Buffer.from(`${time} ${stream} ${tag} `), Buffer.from(text), Buffer.from('\n')]);

async function withCapture(
  limits: { maxSize: number; maxFile: number; compress: boolean },
  body: (ctx: { dir: string; path: string; write: (b: Buffer) => Promise<void>; end: () => Promise<void> }) => Promise<void>,
  attrs?: string,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-logger-'));
  try {
    const path = join(dir, 'c-json.log');
    const cap = await startFileCapture({ runDir: join(dir, 'run'), path, limits, ...(attrs ? { attrs } : {}) });
    const fifo = cap.conmonLog.replace(/^k8s-file:/, '');
    const fh = await open(fifo, 'w');
    await body({
      dir,
      path,
      write: async (b) => {
        await fh.write(b);
      },
      end: async () => {
        await fh.close();
        assert.equal(await captureDone(join(dir, 'run'), 5_000), true);
      },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const collect = async (gen: AsyncGenerator<LogRecord>): Promise<LogRecord[]> => {
  const out: LogRecord[] = [];
  for await (const r of gen) out.push(r);
  return out;
};

describe('berth-logger: dockerd json-file records from conmon k8s-file lines', { skip: LOG_WRITER_HELPER === undefined ? 'make -C native first' : false }, () => {
  test('Go escaping, UTC RFC3339Nano with trailing zeros dropped, 16 KiB partials with the first piece\'s time, EOF partial', async () => {
    await withCapture({ maxSize: -1, maxFile: 1, compress: false }, async ({ path, write, end }) => {
      await write(k8s('2026-12-07T23:03:37.633216374+00:00', 'stdout', 'F', Buffer.from('a<b>&c"d\\e\tf\x01g\r', 'latin1')));
      await write(k8s('2026-12-08T00:03:37.633247770+01:00', 'stdout', 'F', Buffer.from([0xe2, 0x80, 0xa8, 0x78, 0xff, 0x79])));
      // conmon's reads are 8 KiB: a 40000-byte line arrives as P pieces and a final F.
      const y = 'y'.repeat(40000);
      await write(k8s('2026-12-07T23:03:37.636371973+00:00', 'stdout', 'P', y.slice(0, 8192)));
      await write(k8s('2026-12-07T23:03:37.636400000+00:00', 'stdout', 'P', y.slice(8192, 16384 + 100)));
      await write(k8s('2026-12-07T23:03:37.636500000+00:00', 'stdout', 'F', y.slice(16384 + 100)));
      await write(k8s('2026-12-07T23:03:38+00:00', 'stderr', 'F', 'err'));
      await write(k8s('2026-12-07T23:03:40.588551285+00:00', 'stdout', 'P', 'tail'));
      await end();
      const lines = (await readFile(path, 'utf8')).split('\n');
      assert.deepEqual(lines, [
        String.raw`{"log":"a\u003cb\u003e\u0026c\"d\\e\u0009f\u0001g\r\n","stream":"stdout","time":"2026-12-07T23:03:37.633216374Z"}`,
        String.raw`{"log":"\u2028x\ufffdy\n","stream":"stdout","time":"2026-12-07T23:03:37.63324777Z"}`,
        `{"log":"${'y'.repeat(16384)}","stream":"stdout","time":"2026-12-07T23:03:37.6364Z"}`,
        `{"log":"${'y'.repeat(16384)}","stream":"stdout","time":"2026-12-07T23:03:37.6364Z"}`,
        `{"log":"${'y'.repeat(7232)}\\n","stream":"stdout","time":"2026-12-07T23:03:37.6364Z"}`,
        '{"log":"err\\n","stream":"stderr","time":"2026-12-07T23:03:38Z"}',
        '{"log":"tail","stream":"stdout","time":"2026-12-07T23:03:40.588551285Z"}',
        '',
      ]);
      const back = await collect(readLogFiles(path, { accept: () => true, follow: false, finished: async () => true }));
      assert.equal(back.map((r) => r.data.toString()).join(''), `a<b>&c"d\\e\tf\x01g\r\n\u2028x\ufffdy\n${y}\nerr\ntail`);
    });
  });

  test('attrs go into every record', async () => {
    await withCapture({ maxSize: -1, maxFile: 1, compress: false }, async ({ path, write, end }) => {
      await write(k8s('2026-12-07T23:03:37.1+00:00', 'stdout', 'F', 'hi'));
      await end();
      assert.equal(await readFile(path, 'utf8'), '{"log":"hi\\n","stream":"stdout","attrs":{"a":"1"},"time":"2026-12-07T23:03:37.1Z"}\n');
    }, '{"a":"1"}');
  });

  test('rotation at max-size, max-file kept, .N.gz; readLogFiles reads oldest to newest and --tail crosses files', async () => {
    await withCapture({ maxSize: 1000, maxFile: 4, compress: true }, async ({ dir, path, write, end }) => {
      for (let i = 0; i < 200; i++) await write(k8s(`2026-12-07T23:03:${String(10 + Math.floor(i / 10)).padStart(2, '0')}.${String(i).padStart(9, '0')}+00:00`, 'stdout', 'F', `line ${i}`));
      await end();
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('c-json')).sort(), ['c-json.log', 'c-json.log.1.gz', 'c-json.log.2.gz', 'c-json.log.3.gz']);
      const all = await collect(readLogFiles(path, { accept: () => true, follow: false, finished: async () => true }));
      const nums = all.map((r) => Number(r.data.toString().split(' ')[1]));
      assert.equal(nums.at(-1), 199);
      assert.deepEqual(nums, nums.map((_n, i) => (nums[0] ?? 0) + i));
      const tail = await collect(readLogFiles(path, { accept: () => true, tail: nums.length - 2, follow: false, finished: async () => true }));
      assert.deepEqual(tail.map((r) => r.data.toString()), all.slice(2).map((r) => r.data.toString()));
      const stderrOnly = await collect(readLogFiles(path, { accept: (r) => r.stream === 'stderr', follow: false, finished: async () => true }));
      assert.equal(stderrOnly.length, 0);
    });
  });

  test('a follower started before the first line sees every line across rotations, then ends with the writer', async () => {
    await withCapture({ maxSize: 2000, maxFile: 3, compress: false }, async ({ dir, path, write, end }) => {
      let done = false;
      const followed = collect(readLogFiles(path, { accept: () => true, follow: true, finished: async () => done, pollMs: 20 }));
      for (let i = 0; i < 300; i++) {
        await write(k8s(`2026-12-07T23:03:37.${String(i).padStart(9, '0')}+00:00`, 'stdout', 'F', `line ${i}`));
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await end();
      done = true;
      const nums = (await followed).map((r) => Number(r.data.toString().split(' ')[1]));
      assert.deepEqual(nums, Array.from({ length: 300 }, (_v, i) => i));
      assert.ok(existsSync(join(dir, 'c-json.log.2')));
    });
  });
});

describe('berth-logger startup', { skip: LOG_WRITER_HELPER === undefined ? 'make -C native first' : false }, () => {
  test('bad arguments are reported on fd 3, not by hanging', async () => {
    const r = await new Promise<string>((resolve) => {
      const c = spawn(LOG_WRITER_HELPER ?? '', ['-fifo'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      let text = '';
      c.stdio[3]?.on('data', (b: Buffer) => (text += b.toString()));
      c.on('exit', () => resolve(text));
    });
    assert.equal(r, 'err bad arguments\n');
  });
});
