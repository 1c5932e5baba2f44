import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { extractContext } from '../../src/builder/build/context-reader.js';

const ROOT = `/tmp/berth-unit-context-reader-${process.pid}`;
const MTIME = new Date(1_500_000_000_000);
/** Larger than the size from which files are hashed and written on the worker thread. */
const big = randomBytes(3 * 1024 * 1024 + 17);
const small = Buffer.from('FROM scratch\nCOPY big.bin /\n');

async function makeTar(entries: readonly { name: string; content: Buffer; mode?: number }[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) pack.entry({ name: e.name, mtime: MTIME, mode: e.mode ?? 0o644, size: e.content.length }, e.content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** The bytes in chunks: a few tiny ones first (shorter than any compression magic), then `size`-byte ones. */
function chunked(buf: Buffer, size: number): Readable {
  const parts: Buffer[] = [buf.subarray(0, 3), buf.subarray(3, 5)];
  for (let off = 5; off < buf.length; off += size) parts.push(buf.subarray(off, off + size));
  return Readable.from(parts, { objectMode: false });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const openFds = (): number => readdirSync('/proc/self/fd').length;
let seq = 0;
const freshDir = async (): Promise<string> => {
  const dir = join(ROOT, String(seq++));
  await mkdir(dir, { recursive: true });
  return dir;
};

let context: Buffer;
before(async () => {
  context = await makeTar([
    { name: 'Dockerfile', content: small },
    { name: 'data/big.bin', content: big, mode: 0o640 },
  ]);
});
after(() => rm(ROOT, { recursive: true, force: true }));

for (const [label, body] of [
  ['one chunk', (): Readable => Readable.from([context], { objectMode: false })],
  ['small chunks', (): Readable => chunked(context, 4099)],
  ['gzip', (): Readable => chunked(gzipSync(context), 65536)],
] as const) {
  test(`writes and hashes small and large files (${label})`, async () => {
    const dir = await freshDir();
    const hashes = await extractContext(body(), dir);
    assert.deepEqual(await readFile(join(dir, 'Dockerfile')), small);
    assert.ok((await readFile(join(dir, 'data/big.bin'))).equals(big));
    assert.equal(hashes.get(join(dir, 'Dockerfile')), sha256(small));
    assert.equal(hashes.get(join(dir, 'data/big.bin')), sha256(big));
    const st = await stat(join(dir, 'data/big.bin'));
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.mtimeMs, MTIME.getTime());
  });
}

test('a context cut inside a large file is refused and leaves no descriptor open', async () => {
  const dir = await freshDir();
  const fds = openFds();
  await assert.rejects(extractContext(chunked(context.subarray(0, 2 * 1024 * 1024), 65536), dir), /unexpected EOF/);
  assert.equal(openFds(), fds);
});

test('an error of the request stream inside a large file is passed on', async () => {
  const dir = await freshDir();
  const fds = openFds();
  const failing = Readable.from(
    (async function* () {
      yield context.subarray(0, 1536 * 1024);
      throw new Error('client went away');
    })(),
    { objectMode: false },
  );
  await assert.rejects(extractContext(failing, dir), /client went away/);
  assert.equal(openFds(), fds);
});

test('the hashing worker does not keep a finished process alive', async () => {
  const reader = fileURLToPath(new URL('../../src/builder/build/context-reader.js', import.meta.url));
  const script = `
    import { mkdirSync } from 'node:fs';
    const { extractContext } = await import(${JSON.stringify(reader)});
    const dir = ${JSON.stringify(join(ROOT, 'child'))};
    mkdirSync(dir, { recursive: true });
    const hashes = await extractContext(process.stdin, dir);
    console.log(hashes.size);`;
  const file = join(ROOT, 'child.mjs');
  await writeFile(file, script);
  const r = spawnSync(process.execPath, [file], { input: context, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.signal, null, 'the child had to be killed: something kept it alive');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '2');
});

test('concurrent contexts share the worker and its blocks without mixing bytes', async () => {
  const files = Array.from({ length: 4 }, () => randomBytes(9 * 1024 * 1024 + 1));
  const tars = await Promise.all(files.map((f) => makeTar([{ name: 'f.bin', content: f }])));
  const dirs = await Promise.all(files.map(() => freshDir()));
  const results = await Promise.all(tars.map((t, i) => extractContext(chunked(t, 65536), dirs[i] as string)));
  for (const [i, f] of files.entries()) {
    const path = join(dirs[i] as string, 'f.bin');
    assert.equal(results[i]?.get(path), sha256(f));
    assert.ok((await readFile(path)).equals(f));
  }
});

test('uploads stalled inside large files do not hold up another context', async () => {
  const stalled = Array.from({ length: 9 }, () => new PassThrough());
  const dirs = await Promise.all(stalled.map(() => freshDir()));
  const pending = stalled.map((s, i) => extractContext(s, dirs[i] as string));
  for (const s of stalled) s.write(context.subarray(0, 1536 * 1024 + 100));
  const dir = await freshDir();
  const hashes = await Promise.race([
    extractContext(Readable.from([context], { objectMode: false }), dir),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000)),
  ]);
  assert.equal(hashes?.get(join(dir, 'data/big.bin')), sha256(big), 'the complete upload finished while the others stalled');
  for (const s of stalled) s.end(context.subarray(1536 * 1024 + 100));
  await Promise.all(pending);
});

test('a write error inside a large file (a full filesystem) fails the context and leaves no descriptor open', async () => {
  const small = join(ROOT, 'full');
  await mkdir(small, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'berth-unit-full', small]);
  try {
    const fds = openFds();
    await assert.rejects(extractContext(chunked(context, 65536), small), /ENOSPC|no space/i);
    assert.equal(openFds(), fds);
  } finally {
    execFileSync('umount', [small]);
  }
});
