import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { DockerIgnore } from '../../../builder/dockerfile/dockerignore.js';

export interface ContextTarOptions {
  /** Extra file put at the context root (a Dockerfile from stdin or outside the context). */
  readonly extra?: { readonly name: string; readonly content: Buffer };
  /** Paths always sent even when .dockerignore matches them (the Dockerfile, .dockerignore). */
  readonly keep: readonly string[];
}

/**
 * Writes a directory as a build context tar to `outPath`, the way docker's
 * CLI does: .dockerignore applied (its `!` exceptions walk into excluded
 * directories), owners 0:0, entries sorted. Returns the tar size.
 */
export async function writeContextTar(dir: string, outPath: string, opts: ContextTarOptions): Promise<number> {
  const ignore = new DockerIgnore(await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => ''));
  const pack = tar.pack();
  const sink = createWriteStream(outPath);
  const done = pipeline(pack, sink);
  const add = (header: Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, r);
      const st = await lstat(abs);
      const excluded = ignore.ignores(r) && !opts.keep.includes(r);
      if (excluded && !(st.isDirectory() && ignore.hasExclusions())) continue;
      const base = { mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isDirectory()) {
        if (!excluded) await add({ ...base, name: `${r}/`, type: 'directory' });
        await walk(r);
      } else if (excluded) {
        continue;
      } else if (st.isSymbolicLink()) {
        await add({ ...base, name: r, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, name: r, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          pipeline(createReadStream(abs), entry).catch(reject);
        });
      }
    }
  };
  try {
    await walk('');
    if (opts.extra) await add({ name: opts.extra.name, mode: 0o600, mtime: new Date(), uid: 0, gid: 0 }, opts.extra.content);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
  }
  await done;
  return (await stat(outPath)).size;
}

/** A tar holding only a Dockerfile (`docker build - < Dockerfile`). */
export async function writeDockerfileTar(content: Buffer, outPath: string): Promise<number> {
  const pack = tar.pack();
  const done = pipeline(pack, createWriteStream(outPath));
  pack.entry({ name: 'Dockerfile', mode: 0o600, mtime: new Date(), uid: 0, gid: 0 }, content);
  pack.finalize();
  await done;
  return (await stat(outPath)).size;
}

/** True when the bytes start a tar archive or a compressed stream (docker's IsArchive). */
export function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

