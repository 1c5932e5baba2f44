import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
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
 * A directory as a build context tar stream, the way docker's CLI makes it:
 * .dockerignore applied (its `!` exceptions walk into excluded directories),
 * owners 0:0, entries sorted. Nothing is written to disk: the tar is produced
 * as the consumer (the request body) reads it, with backpressure. A failure
 * while walking destroys the stream with that error.
 */
export function contextTarStream(dir: string, opts: ContextTarOptions): Readable {
  const pack = tar.pack();
  const add = (header: Partial<tar.Header> & { name: string }, body?: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  const walk = async (ignore: DockerIgnore, rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, r);
      const st = await lstat(abs);
      const excluded = ignore.ignores(r) && !opts.keep.includes(r);
      if (excluded && !(st.isDirectory() && ignore.hasExclusions())) continue;
      const base = { mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isDirectory()) {
        if (!excluded) await add({ ...base, name: `${r}/`, type: 'directory' });
        await walk(ignore, r);
      } else if (excluded) {
        continue;
      } else if (st.isSymbolicLink()) {
        await add({ ...base, name: r, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, name: r, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          pipeline(createReadStream(abs, { highWaterMark: 1 << 20 }), entry).catch(reject);
        });
      }
    }
  };
  const produce = async (): Promise<void> => {
    const ignore = new DockerIgnore(await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => ''));
    await walk(ignore, '');
    if (opts.extra) await add({ name: opts.extra.name, mode: 0o600, mtime: new Date(), uid: 0, gid: 0 }, opts.extra.content);
    pack.finalize();
  };
  produce().catch((err: unknown) => pack.destroy(err as Error));
  // tar-stream's pack is a streamx stream: hand out a Node one
  const out = new PassThrough();
  pipeline(pack, out).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

/** A tar holding only a Dockerfile (`docker build - < Dockerfile`). */
export async function dockerfileTar(content: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile', mode: 0o600, mtime: new Date(), uid: 0, gid: 0 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * Looks at the first bytes of `input` without consuming them: whether it is
 * an archive (docker's DetectArchiveReader), and a stream that yields all of
 * `input` from its first byte.
 */
export async function peekArchive(input: Readable): Promise<{ archive: boolean; stream: Readable }> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < 512) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    head.push(r.value);
    size += r.value.length;
  }
  const first = Buffer.concat(head);
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (done) return;
    for (let r = await it.next(); r.done !== true; r = await it.next()) yield r.value;
  }
  return { archive: looksLikeArchive(first.subarray(0, 512)), stream: Readable.from(rest(), { objectMode: false }) };
}

/** True when the bytes start a tar archive or a compressed stream (docker's IsArchive). */
export function looksLikeArchive(head: Buffer): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true;
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
  return head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}
