import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readlink, rm, writeFile, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { applyLayer } from '../../src/images/layer-apply.js';
import { isEngineError } from '../../src/errors/engine-error.js';
import { sha256Digest } from '../../src/lib/digest.js';
import { lgetxattr } from '../../src/lib/syscalls.js';

const ROOT = '/tmp/berth-images-test/layer-apply-test';

interface Entry {
  name: string;
  type?: tar.Header['type'];
  content?: string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
}

async function makeTar(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) {
    const header = { mtime: new Date(1_000_000_000_000), mode: 0o644, uid: 0, gid: 0, ...e, content: undefined };
    pack.entry(header, e.content ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function fresh(name: string): Promise<string> {
  const dir = join(ROOT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'layer'), { recursive: true });
  return dir;
}

void test('layer apply: files, dirs, symlinks, hardlinks, devices and fifos', async () => {
  const dir = await fresh('kinds');
  const data = await makeTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/hosts', content: 'x', mode: 0o600, uid: 1000, gid: 1001 },
    { name: 'etc/hosts2', type: 'link', linkname: 'etc/hosts' },
    { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0 },
    { name: 'run/fifo', type: 'fifo' },
    { name: 'usr/bin/su', content: 'su', mode: 0o4755 },
  ]);
  const result = await applyLayer(Readable.from([data]), join(dir, 'layer'));
  assert.equal(result.diffId, sha256Digest(data));
  assert.equal(result.size, 3);
  const hosts = await lstat(join(dir, 'layer/etc/hosts'));
  assert.equal(hosts.mode & 0o7777, 0o600);
  assert.equal(hosts.uid, 1000);
  assert.equal(hosts.gid, 1001);
  assert.equal(hosts.nlink, 2);
  assert.equal(hosts.mtimeMs, 1_000_000_000_000);
  assert.equal(await readlink(join(dir, 'layer/bin/sh')), '/bin/busybox');
  const devnull = await lstat(join(dir, 'layer/dev/null'));
  assert.ok(devnull.isCharacterDevice());
  assert.equal(devnull.rdev, 259); // makedev(1, 3)
  assert.ok((await lstat(join(dir, 'layer/dev/loop0'))).isBlockDevice());
  assert.ok((await lstat(join(dir, 'layer/run/fifo'))).isFIFO());
  assert.equal((await lstat(join(dir, 'layer/usr/bin/su'))).mode & 0o7777, 0o4755);
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: gzip layers give the diff id of the uncompressed tar', async () => {
  const dir = await fresh('gzip');
  const data = await makeTar([{ name: 'a', content: 'hello' }]);
  const result = await applyLayer(Readable.from([gzipSync(data)]), join(dir, 'layer'));
  assert.equal(result.diffId, sha256Digest(data));
  assert.equal(await readFile(join(dir, 'layer/a'), 'utf8'), 'hello');
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: whiteouts become overlay whiteouts, opaque markers an xattr', async () => {
  const dir = await fresh('whiteout');
  const data = await makeTar([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/.wh.motd' },
    { name: 'var/', type: 'directory', mode: 0o755 },
    { name: 'var/.wh..wh..opq' },
  ]);
  await applyLayer(Readable.from([data]), join(dir, 'layer'));
  const wh = await lstat(join(dir, 'layer/etc/motd'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.equal(existsSync(join(dir, 'layer/etc/.wh.motd')), false);
  assert.deepEqual(lgetxattr(join(dir, 'layer/var'), 'trusted.overlay.opaque'), Buffer.from('y'));
  assert.equal(existsSync(join(dir, 'layer/var/.wh..wh..opq')), false);
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: an entry with .. is rejected', async () => {
  const dir = await fresh('dotdot');
  const data = await makeTar([{ name: 'a/../../escaped', content: 'x' }]);
  await assert.rejects(applyLayer(Readable.from([data]), join(dir, 'layer')), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.equal(existsSync(join(dir, 'escaped')), false);
  assert.equal(existsSync(join(ROOT, 'escaped')), false);
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: a hardlink to a path outside the root is rejected', async () => {
  const dir = await fresh('hardlink-escape');
  await writeFile(join(dir, 'secret'), 'secret');
  const data = await makeTar([{ name: 'x', type: 'link', linkname: '../secret' }]);
  await assert.rejects(applyLayer(Readable.from([data]), join(dir, 'layer')), (err: unknown) => isEngineError(err, 'invalid_argument'));
  assert.equal((await lstat(join(dir, 'secret'))).nlink, 1);
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: writes through a symlink parent stay inside the root', async () => {
  const dir = await fresh('symlink-escape');
  await mkdir(join(dir, 'outside'));
  const data = await makeTar([
    { name: 'abs', type: 'symlink', linkname: join(dir, 'outside') },
    { name: 'abs/pwned', content: 'x' },
    { name: 'rel', type: 'symlink', linkname: '../../../../outside' },
    { name: 'rel/pwned2', content: 'x' },
  ]);
  await applyLayer(Readable.from([data]), join(dir, 'layer'));
  assert.equal(existsSync(join(dir, 'outside/pwned')), false);
  assert.equal(existsSync(join(dir, 'outside/pwned2')), false);
  // resolved as if the layer dir were `/`
  assert.equal(await readFile(join(dir, 'layer', dir, 'outside/pwned'), 'utf8'), 'x');
  assert.equal(await readFile(join(dir, 'layer/outside/pwned2'), 'utf8'), 'x');
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: a file replacing a symlink does not write through it', async () => {
  const dir = await fresh('replace-symlink');
  await writeFile(join(dir, 'target'), 'original');
  const data = await makeTar([
    { name: 'f', type: 'symlink', linkname: join(dir, 'target') },
    { name: 'f', content: 'overwritten' },
  ]);
  await applyLayer(Readable.from([data]), join(dir, 'layer'));
  assert.equal(await readFile(join(dir, 'target'), 'utf8'), 'original');
  assert.equal(await readFile(join(dir, 'layer/f'), 'utf8'), 'overwritten');
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: a truncated tar is an invalid argument', async () => {
  const dir = await fresh('truncated');
  const data = await makeTar([{ name: 'big', content: 'y'.repeat(5000) }]);
  await assert.rejects(applyLayer(Readable.from([data.subarray(0, 2000)]), join(dir, 'layer')), (err: unknown) => isEngineError(err, 'invalid_argument'));
  await rm(dir, { recursive: true, force: true });
});

void test('layer apply: reproduces GNU tar, binary xattrs included', { skip: !existsSync('/usr/sbin/setcap') && 'setcap not installed' }, async () => {
  const dir = await fresh('gnu-tar');
  const src = join(dir, 'src');
  await mkdir(join(src, 'a/b'), { recursive: true });
  await writeFile(join(src, 'a/file'), 'hello');
  execFileSync('sh', [
    '-c',
    `cd ${src} && chmod 4755 a/file && ln a/file a/hard && ln -s ../a/file a/sym && mknod a/null c 1 3 && mkfifo a/fifo &&
     setcap cap_net_raw+ep a/file && chown 1000:2000 a/b && chmod 0750 a/b && touch -d 2020-01-02 a/b &&
     tar --xattrs --xattrs-include='*' --numeric-owner -cf ${dir}/layer.tar .`,
  ]);
  await mkdir(join(dir, 'gnu'));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', join(dir, 'layer.tar'), '-C', join(dir, 'gnu')]);
  await applyLayer(Readable.from([await readFile(join(dir, 'layer.tar'))]), join(dir, 'layer'));
  const cap = lgetxattr(join(dir, 'gnu/a/file'), 'security.capability');
  assert.ok(cap && cap.length > 0);
  assert.deepEqual(lgetxattr(join(dir, 'layer/a/file'), 'security.capability'), cap);
  for (const p of ['a/file', 'a/hard', 'a/sym', 'a/null', 'a/fifo', 'a/b', 'a']) {
    const g = await lstat(join(dir, 'gnu', p));
    const b = await lstat(join(dir, 'layer', p));
    assert.deepEqual([b.mode, b.uid, b.gid, b.size, Math.floor(b.mtimeMs / 1000), b.rdev, b.nlink], [g.mode, g.uid, g.gid, g.size, Math.floor(g.mtimeMs / 1000), g.rdev, g.nlink], p);
  }
  await rm(dir, { recursive: true, force: true });
});

after(async () => {
  await rm(ROOT, { recursive: true, force: true });
  await rmdir('/tmp/berth-images-test').catch(() => undefined); // shared by the image tests: removed once empty
});
