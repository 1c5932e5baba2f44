import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { lgetxattr } from '../lib/syscalls.js';

export interface LayerDiffOptions {
  /**
   * Upper bound for entry mtimes (seconds since the epoch). Entries newer than
   * this are written with this time; undefined keeps the files' own times.
   */
  readonly clampMtime?: number;
}

/**
 * Turns an overlay upper dir into a layer tar (Docker's format): overlay
 * whiteouts (0/0 char devices) become `.wh.<name>` files, opaque directories
 * (trusted.overlay.opaque=y) get a `.wh..wh..opq` entry, hard links within the
 * layer become link entries. Deterministic: entries in byte-wise sorted order,
 * uid/gid/mode/size/mtime from the filesystem with mtimes in whole seconds
 * (clamped by `clampMtime`), no uname/gname, no atime/ctime. Identical trees
 * therefore give identical tars and digests. Extended attributes are not
 * carried (known gap: file capabilities set by RUN are lost).
 */
export function layerDiffStream(upperDir: string, options: LayerDiffOptions = {}): Readable {
  const pack = tar.pack();
  const out = new PassThrough();
  const run = async (): Promise<void> => {
    const links = new Map<string, string>();
    const writeDir = async (dir: string, rel: string): Promise<void> => {
      const names = (await readdir(dir)).sort(byteOrder);
      for (const name of names) {
        const abs = join(dir, name);
        const path = rel === '' ? name : `${rel}/${name}`;
        const st = await lstat(abs);
        const mtime = new Date(clampSeconds(st.mtimeMs, options.clampMtime) * 1000);
        const base = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime, uname: '', gname: '' };
        if (st.isCharacterDevice() && st.rdev === 0) {
          const parent = rel === '' ? '' : `${rel}/`;
          await entry(pack, { ...base, name: `${parent}.wh.${name}`, type: 'file', size: 0, mode: 0o644 });
          continue;
        }
        if (st.isDirectory()) {
          await entry(pack, { ...base, name: `${path}/`, type: 'directory' });
          const opaque = lgetxattr(abs, 'trusted.overlay.opaque');
          if (opaque && opaque.toString() === 'y') {
            await entry(pack, { ...base, name: `${path}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o644 });
          }
          await writeDir(abs, path);
          continue;
        }
        if (st.nlink > 1 && !st.isDirectory()) {
          const key = `${st.dev}:${st.ino}`;
          const first = links.get(key);
          if (first !== undefined) {
            await entry(pack, { ...base, name: path, type: 'link', linkname: first, size: 0 });
            continue;
          }
          links.set(key, path);
        }
        if (st.isSymbolicLink()) {
          await entry(pack, { ...base, name: path, type: 'symlink', linkname: await readlink(abs) });
        } else if (st.isFile()) {
          await fileEntry(pack, { ...base, name: path, type: 'file', size: st.size }, abs);
        } else if (st.isFIFO()) {
          await entry(pack, { ...base, name: path, type: 'fifo' });
        } else if (st.isCharacterDevice() || st.isBlockDevice()) {
          const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
          const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
          await entry(pack, { ...base, name: path, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor });
        }
        // sockets are not carried in layers, as in Docker
      }
    };
    await writeDir(upperDir, '');
    pack.finalize();
  };
  run().catch((err: unknown) => pack.destroy(err as Error));
  pipeline(pack, out).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

function clampSeconds(ms: number, clamp: number | undefined): number {
  const s = Math.floor(ms / 1000);
  return clamp !== undefined && s > clamp ? clamp : s;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    // an empty body: tar-stream otherwise waits for content to be written
    pack.entry(header, Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

function fileEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    pipeline(createReadStream(path), sink).catch(reject);
  });
}
