import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, lutimes, mkdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { contextTarStream, dockerfileTar } from '../../src/cli/commands/build/context-tar.js';

const ROOT = `/tmp/berth-unit-context-tar-${process.pid}`;
const CTX = join(ROOT, 'ctx');
const MTIME = new Date(1_600_000_000_000);
const LONG_PREFIXED = `${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(30)}.txt`;
const LONG_FLAT = 'n'.repeat(120);
const LONG_TARGET = 'T'.repeat(150);
const big = randomBytes(3 * 1024 * 1024 + 17);

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string | null;
  sha: string;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function listTar(buf: Buffer): Promise<{ entries: Entry[]; contents: Map<string, Buffer> }> {
  const extract = tar.extract();
  const entries: Entry[] = [];
  const contents = new Map<string, Buffer>();
  const done = (async () => {
    for await (const entry of extract) {
      const body = await collect(entry as unknown as Readable);
      const h = entry.header;
      entries.push({
        name: h.name,
        type: h.type ?? '',
        mode: h.mode ?? -1,
        uid: h.uid ?? -1,
        gid: h.gid ?? -1,
        size: h.size ?? -1,
        mtime: h.mtime?.getTime() ?? -1,
        linkname: h.linkname ?? null,
        sha: sha256(body),
      });
      contents.set(h.name, body);
    }
  })();
  extract.end(buf);
  await done;
  return { entries, contents };
}

before(async () => {
  await rm(ROOT, { recursive: true, force: true });
  await mkdir(join(CTX, 'sub', 'empty'), { recursive: true });
  await mkdir(join(CTX, 'ignored', 'deep'), { recursive: true });
  await mkdir(join(CTX, 'a'.repeat(60), 'b'.repeat(60)), { recursive: true });
  await writeFile(join(CTX, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  await writeFile(join(CTX, '.dockerignore'), '# comment\nignored\n*.tmp\n!keep.tmp\n');
  await writeFile(join(CTX, 'big.bin'), big);
  await writeFile(join(CTX, 'mid.bin'), randomBytes(40_000));
  await writeFile(join(CTX, 'sub', 'zero'), '');
  await writeFile(join(CTX, 'sub', 'exact512'), randomBytes(512));
  await writeFile(join(CTX, 'ignored', 'deep', 'x'), 'x');
  await writeFile(join(CTX, 'drop.tmp'), 'drop');
  await writeFile(join(CTX, 'keep.tmp'), 'keep');
  await writeFile(join(CTX, 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(CTX, 'run.sh'), 0o4755);
  await writeFile(join(CTX, LONG_PREFIXED), 'long and prefixed');
  await writeFile(join(CTX, LONG_FLAT), 'long without a slash');
  await writeFile(join(CTX, 'ünïcödé.txt'), 'utf-8 name');
  await symlink('sub/zero', join(CTX, 'link'));
  await symlink(LONG_TARGET, join(CTX, 'longlink'));
  for (const p of ['Dockerfile', '.dockerignore', 'big.bin', 'mid.bin', 'sub/zero', 'sub/exact512', 'keep.tmp', 'run.sh', LONG_PREFIXED, LONG_FLAT, 'ünïcödé.txt', 'sub/empty', 'sub', 'a'.repeat(60), `${'a'.repeat(60)}/${'b'.repeat(60)}`]) {
    await utimes(join(CTX, p), MTIME, MTIME);
  }
  for (const p of ['link', 'longlink']) await lutimes(join(CTX, p), MTIME, MTIME);
});

after(async () => {
  await rm(ROOT, { recursive: true, force: true });
});

const keep = ['Dockerfile', '.dockerignore'];

test('context tar: entries, modes, sizes, link targets, mtimes and contents as read by tar-stream', async () => {
  const { entries, contents } = await listTar(await collect(contextTarStream(CTX, { keep })));
  const names = entries.map((e) => e.name);
  assert.deepEqual(names, [
    '.dockerignore',
    'Dockerfile',
    `${'a'.repeat(60)}/`,
    `${'a'.repeat(60)}/${'b'.repeat(60)}/`,
    LONG_PREFIXED,
    'big.bin',
    'keep.tmp',
    'link',
    'longlink',
    'mid.bin',
    LONG_FLAT,
    'run.sh',
    'sub/',
    'sub/empty/',
    'sub/exact512',
    'sub/zero',
    'ünïcödé.txt',
  ]);
  for (const e of entries) {
    const src = join(CTX, e.name);
    const st = await lstat(src);
    assert.equal(e.uid, 0, e.name);
    assert.equal(e.gid, 0, e.name);
    assert.equal(e.mode, st.mode & 0o7777, e.name);
    assert.equal(e.mtime, Math.floor(st.mtimeMs / 1000) * 1000, e.name);
    if (st.isDirectory()) {
      assert.equal(e.type, 'directory', e.name);
    } else if (st.isSymbolicLink()) {
      assert.equal(e.type, 'symlink', e.name);
      assert.equal(e.linkname, await readlink(src), e.name);
      assert.equal(e.size, 0, e.name);
    } else {
      assert.equal(e.type, 'file', e.name);
      assert.equal(e.size, st.size, e.name);
      assert.equal(e.sha, sha256(await readFile(src)), e.name);
    }
  }
  assert.equal(contents.get('big.bin')?.equals(big), true);
  assert.equal(entries.find((e) => e.name === 'run.sh')?.mode, 0o4755);
});

test('context tar: GNU tar lists and extracts it (PAX names, long links, modes, mtimes)', async () => {
  const file = join(ROOT, 'ctx.tar');
  await writeFile(file, await collect(contextTarStream(CTX, { keep })));
  const list = spawnSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  assert.equal(list.stderr, '');
  const lines = list.stdout.trim().split('\n');
  assert.equal(lines.length, 17);
  assert.match(list.stdout, /^-rwsr-xr-x 0\/0 +18 2020-09-13 \d\d:\d\d run\.sh$/m);
  assert.match(list.stdout, new RegExp(`^lrwxrwxrwx 0/0 +0 .* longlink -> ${LONG_TARGET}$`, 'm'));
  assert.match(list.stdout, new RegExp(`^-rw-r--r-- 0/0 +${big.length} .* big\\.bin$`, 'm'));
  assert.match(list.stdout, /^drwxr-xr-x 0\/0 +0 .* sub\/empty\/$/m);
  assert.match(list.stdout, /ünïcödé\.txt$/m);

  const out = join(ROOT, 'extracted');
  await mkdir(out);
  const x = spawnSync('tar', ['-xpf', file, '-C', out], { encoding: 'utf8' });
  assert.equal(x.status, 0, x.stderr);
  for (const name of ['big.bin', 'mid.bin', 'sub/exact512', 'sub/zero', 'run.sh', LONG_PREFIXED, LONG_FLAT, 'ünïcödé.txt', 'keep.tmp']) {
    const [a, b] = [await lstat(join(CTX, name)), await lstat(join(out, name))];
    assert.equal(b.mode, a.mode, name);
    assert.equal(b.mtimeMs, MTIME.getTime(), name);
    assert.ok((await readFile(join(out, name))).equals(await readFile(join(CTX, name))), name);
  }
  assert.equal(await readlink(join(out, 'longlink')), LONG_TARGET);
  assert.equal(await readlink(join(out, 'link')), 'sub/zero');
  assert.equal((await lstat(join(out, 'sub/empty'))).isDirectory(), true);
  await assert.rejects(lstat(join(out, 'ignored')), { code: 'ENOENT' });
  await assert.rejects(lstat(join(out, 'drop.tmp')), { code: 'ENOENT' });
});

test('context tar: .dockerignore exceptions reach into excluded directories without sending them', async () => {
  await writeFile(join(CTX, '.dockerignore'), 'ignored\n!ignored/deep/x\nDockerfile\n');
  try {
    const { entries } = await listTar(await collect(contextTarStream(CTX, { keep })));
    const names = entries.map((e) => e.name);
    assert.ok(names.includes('ignored/deep/x'));
    assert.ok(!names.includes('ignored/'));
    assert.ok(!names.includes('ignored/deep/'));
    assert.ok(names.includes('Dockerfile'), 'the Dockerfile is always sent');
  } finally {
    await writeFile(join(CTX, '.dockerignore'), '# comment\nignored\n*.tmp\n!keep.tmp\n');
    await utimes(join(CTX, '.dockerignore'), MTIME, MTIME);
  }
});

test('context tar: an extra Dockerfile comes last, mode 0600', async () => {
  const content = Buffer.from('FROM busybox\n');
  const { entries, contents } = await listTar(await collect(contextTarStream(CTX, { keep, extra: { name: '.dockerfile.0123', content } })));
  const last = entries.at(-1);
  assert.equal(last?.name, '.dockerfile.0123');
  assert.equal(last?.mode, 0o600);
  assert.equal(contents.get('.dockerfile.0123')?.equals(content), true);
});

test('context tar: a missing directory fails the stream', async () => {
  await assert.rejects(collect(contextTarStream(join(ROOT, 'nope'), { keep })), { code: 'ENOENT', syscall: 'scandir' });
});

test('context tar: produced with backpressure, a few MiB ahead of a stalled consumer', async () => {
  const dir = join(ROOT, 'large');
  await mkdir(dir);
  await writeFile(join(dir, 'blob'), Buffer.alloc(24 * 1024 * 1024, 7));
  const stream = contextTarStream(dir, { keep });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(stream.readableLength <= 6 * 1024 * 1024, `buffered ${stream.readableLength}`);
  assert.ok(stream.readableLength >= 1024 * 1024, `read ahead ${stream.readableLength}`);
  const all = await collect(stream);
  assert.equal(all.length, 512 + 24 * 1024 * 1024 + 1024);
});

test('dockerfileTar: one Dockerfile, mode 0600', async () => {
  const { entries, contents } = await listTar(await dockerfileTar(Buffer.from('FROM scratch\n')));
  assert.deepEqual(entries.map((e) => [e.name, e.type, e.mode]), [['Dockerfile', 'file', 0o600]]);
  assert.equal(contents.get('Dockerfile')?.toString(), 'FROM scratch\n');
});

