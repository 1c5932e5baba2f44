import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { lgetxattr, llistxattr } from '../lib/syscalls.js';
import { containerGid, containerUid, type IdMapping } from '../lib/id-mapping.js';

export interface LayerDiffOptions {
  /**
   * Upper bound for entry mtimes (seconds since the epoch). Entries newer than
   * this are written with this time; undefined keeps the files' own times.
   */
  readonly clampMtime?: number;
  /** userns-remap: owners in the remapped range are written as the container's ids; others (berthd's own, e.g. COPY) as they are. */
  readonly idMap?: IdMapping;
}

/**
 * Turns an overlay upper dir into a layer tar (Docker's format): overlay
 * whiteouts (0/0 char devices) become `.wh.<name>` files, opaque directories
 * (trusted.overlay.opaque=y) get a `.wh..wh..opq` entry, hard links within the
 * layer become link entries. Deterministic: entries in byte-wise sorted order,
 * uid/gid/mode/size/mtime from the filesystem with mtimes in whole seconds
 * (clamped by `clampMtime`), no uname/gname, no atime/ctime. Identical trees
 * therefore give identical tars and digests. Extended attributes (file
 * capabilities, user.*) travel as `SCHILY.xattr.*` PAX records with their
 * exact bytes, names sorted; overlay's own (trusted.overlay.*), SELinux
 * labels and ACLs (system.*) are not layer content. (moby keeps only
 * security.capability, v3 turned into v2 as here; Berth keeps user.* too.)
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
        const uid = options.idMap ? containerUid(options.idMap, st.uid) : st.uid;
        const gid = options.idMap ? containerGid(options.idMap, st.gid) : st.gid;
        const base = { uid, gid, mode: st.mode & 0o7777, mtime, uname: '', gname: '' };
        if (st.isCharacterDevice() && st.rdev === 0) {
          const parent = rel === '' ? '' : `${rel}/`;
          await entry(pack, { ...base, name: `${parent}.wh.${name}`, type: 'file', size: 0, mode: 0o644 });
          continue;
        }
        if (st.isDirectory()) {
          await xattrHeader(pack, abs, `${path}/`, undefined, base);
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
          const linkname = await readlink(abs);
          const short = await xattrHeader(pack, abs, path, linkname, base);
          await entry(pack, { ...base, name: short?.name ?? path, type: 'symlink', linkname: short?.linkname ?? linkname });
        } else if (st.isFile()) {
          const short = await xattrHeader(pack, abs, path, undefined, base);
          await fileEntry(pack, { ...base, name: short?.name ?? path, type: 'file', size: st.size }, abs);
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

/** Extended attributes that are layer content (see layerDiffStream). */
function layerXattrs(abs: string): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const name of llistxattr(abs).sort(byteOrder)) {
    if (name.startsWith('trusted.overlay.') || name === 'security.selinux' || name.startsWith('system.')) continue;
    let value = lgetxattr(abs, name);
    // as moby does: a v3 capability (namespaced root uid) becomes v2, the uid means nothing outside this host
    if (name === 'security.capability' && value !== undefined && value.length >= 20 && value[3] === 3) value = Buffer.concat([value.subarray(0, 3), Buffer.from([2]), value.subarray(4, 20)]);
    if (value !== undefined) out.push([name, value]);
  }
  return out;
}

/**
 * Writes a PAX header carrying the entry's xattrs byte for byte (tar-stream
 * would encode values as UTF-8) plus its path and link target, as GNU tar and
 * Go's archive/tar read them. The entry that follows must then not get a PAX
 * header of its own (a second one would replace this one): the returned name
 * and link target fit the ustar fields and stand in for the PAX ones.
 */
async function xattrHeader(
  pack: tar.Pack,
  abs: string,
  name: string,
  linkname: string | undefined,
  base: { uid: number; gid: number; mode: number; mtime: Date },
): Promise<{ name: string; linkname?: string } | undefined> {
  const xattrs = layerXattrs(abs);
  if (xattrs.length === 0) return undefined;
  const records: Buffer[] = [paxRecord('path', Buffer.from(name))];
  if (linkname !== undefined) records.push(paxRecord('linkpath', Buffer.from(linkname)));
  for (const [key, value] of xattrs) records.push(paxRecord(`SCHILY.xattr.${key}`, value));
  const body = Buffer.concat(records);
  // between entries (each is awaited), raw blocks go straight into the pack's output
  pack.push(Buffer.concat([paxHeaderBlock(body.length, base.mtime), body, Buffer.alloc((512 - (body.length % 512)) % 512)]));
  return { name: fitUstar(name), ...(linkname !== undefined ? { linkname: fitUstar(linkname) } : {}) };
}

/** A ustar header block of type 'x' (PAX extended header) for `size` bytes of records. */
function paxHeaderBlock(size: number, mtime: Date): Buffer {
  const b = Buffer.alloc(512);
  const field = (off: number, len: number, value: number): void => {
    b.write(`${value.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
  };
  b.write('PaxHeader', 0, 'latin1');
  field(100, 8, 0o644);
  field(108, 8, 0);
  field(116, 8, 0);
  field(124, 12, size);
  field(136, 12, Math.floor(mtime.getTime() / 1000));
  b.write('        ', 148, 'latin1');
  b.write('x', 156, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** `<len> <key>=<value>\n` with the length counting itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(` ${key}=`) + value.length + 1;
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

/** A name that fits a ustar header's name field (the PAX path before it is the real one). */
function fitUstar(name: string): string {
  if (Buffer.byteLength(name) <= 100) return name;
  return Buffer.from(name).subarray(0, 100).toString('latin1').replace(/[^\x20-\x7e]/g, '_');
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
