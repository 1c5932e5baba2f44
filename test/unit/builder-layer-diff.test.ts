import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { layerDiffStream } from '../../src/images/layer-diff.js';
import { S_IFCHR, lsetxattr, mknod } from '../../src/lib/syscalls.js';
import { sha256Digest } from '../../src/lib/digest.js';

const ROOT = '/dev/shm/berth-builder-layer-diff-test';
after(() => rm(ROOT, { recursive: true, force: true }));

async function collect(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of layerDiffStream(dir)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function entries(buf: Buffer): Promise<string[]> {
  const ex = tar.extract();
  const names: string[] = [];
  ex.on('entry', (h, s, next) => {
    names.push(`${h.type}:${h.name}${h.linkname ? `->${h.linkname}` : ''}`);
    s.resume();
    s.on('end', next);
  });
  ex.end(buf);
  await new Promise<void>((r) => ex.on('finish', () => r()));
  return names;
}

async function makeUpper(dir: string): Promise<void> {
  await mkdir(join(dir, 'etc', 'sub'), { recursive: true });
  await writeFile(join(dir, 'z.txt'), 'zzz');
  await writeFile(join(dir, 'etc', 'conf'), 'c');
  await symlink('conf', join(dir, 'etc', 'link'));
  mknod(join(dir, 'gone'), S_IFCHR | 0o000, 0);
  await mkdir(join(dir, 'opaque'));
  lsetxattr(join(dir, 'opaque'), 'trusted.overlay.opaque', Buffer.from('y'));
  for (const p of ['z.txt', 'etc/conf', 'etc/sub', 'etc', 'opaque', '.']) await utimes(join(dir, p), 1000, 1000);
}

test('overlay whiteouts and opaque dirs become AUFS markers, sorted entries', async () => {
  const dir = join(ROOT, 'a');
  await makeUpper(dir);
  const names = await entries(await collect(dir));
  assert.deepEqual(names, [
    'directory:etc/',
    'file:etc/conf',
    'symlink:etc/link->conf',
    'directory:etc/sub/',
    'file:.wh.gone',
    'directory:opaque/',
    'file:opaque/.wh..wh..opq',
    'file:z.txt',
  ]);
});

test('identical trees give identical digests', async () => {
  const a = join(ROOT, 'd1');
  const b = join(ROOT, 'd2');
  await makeUpper(a);
  await makeUpper(b);
  assert.equal(sha256Digest(await collect(a)), sha256Digest(await collect(b)));
});
