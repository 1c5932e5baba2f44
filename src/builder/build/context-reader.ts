import { createHash, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, chmod, link, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream';
import { decompressStream } from '../../images/decompress.js';
import { type HashingFileWriter, openHashingWriter } from './hashing-writer.js';
import { cString, isZero, parseHeader, parsePax, type PaxOverrides, type TarHeader } from './tar-header-parse.js';

/** sha256 (hex) of regular files' bytes by absolute path, computed while unpacking so COPY need not read them again. */
export type ContentHashes = Map<string, string>;

/** A context entry the tar asks for that may not be written (absolute, `..`, below a non-directory…). */
export class ContextEntryError extends Error {}

/** Linux PATH_MAX: a longer path cannot be handed to a syscall at all. */
const PATH_MAX = 4095;
/** PAX and GNU long-name records larger than this are refused (a name never needs more). */
const MAX_META = 1 << 20;
/** File bytes are written in batches of about this size. */
const WRITE_BATCH = 1 << 20;
/** Files at least this large are hashed and written on the hashing worker, off the main thread. */
const OFFLOAD_SIZE = 1 << 20;
const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

type Kind = 'dir' | 'file' | 'symlink';


/**
 * Unpacks a build context tar (plain or compressed) into `dir`, hashing each
 * regular file as its bytes stream by. A small tar reader of its own rather
 * than a general one: a small file's bytes go from the request's chunks to
 * the hash and to `writev` without being copied, a large file's are copied
 * once into blocks hashed on a worker thread (`hashing-writer.ts`), and what
 * it created is remembered, so an
 * entry costs O(1) filesystem calls whatever its depth. Entry names that are
 * absolute or climb out with `..`, or that would go below a symlink or file,
 * are rejected; nothing is ever written through a symlink. Owners are not
 * kept (COPY defaults to root); modes and mtimes are. A tar that ends right
 * after the last file's bytes (the docker CLI's `-f` from outside the
 * context) is accepted, as dockerd accepts it.
 */
export async function extractContext(source: Readable, dir: string): Promise<ContentHashes> {
  const reader = new ContextTarReader(dir);
  let body: Readable | undefined;
  try {
    // an uncompressed context comes back as `source` itself
    body = (await decompressStream(source)).stream;
    await feed(body, reader);
    await reader.end();
  } catch (err) {
    await reader.abort();
    body?.destroy();
    source.destroy();
    throw err;
  }
  return reader.hashes;
}

/**
 * Pushes the stream's chunks into the reader from 'data' events, pausing
 * while the reader waits on a write: no promise or iterator result per
 * chunk, which at a few hundred MB/s is most of the garbage a build makes.
 * A failure settles at once without destroying the stream: the caller
 * decides what becomes of the rest of it (for a request, it is drained so
 * the error reply reaches the client).
 */
function feed(stream: Readable, reader: ContextTarReader): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let waiting: Promise<void> | undefined;
    let settled = false;
    /** Settles once no write is in flight (so the caller may abort the reader at once); a failed last write fails the feed. */
    const settle = (failure?: { err: unknown }): void => {
      if (settled) return;
      settled = true;
      stopWatching();
      stream.off('data', onData);
      (waiting ?? Promise.resolve()).then(
        () => (failure ? reject(failure.err as Error) : resolve()),
        (writeErr: unknown) => reject((failure ? failure.err : writeErr) as Error),
      );
    };
    const fail = (err: unknown): void => settle({ err });
    const onData = (chunk: Buffer): void => {
      let wait: Promise<void> | undefined;
      try {
        wait = reader.push(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (!wait) return;
      stream.pause();
      waiting = wait.then(() => {
        waiting = undefined;
        if (!settled) stream.resume();
      });
      waiting.catch(fail);
    };
    stream.on('data', onData);
    // the stream may end while the last entry is still being written: settle waits for it
    const stopWatching = finished(stream, (err) => (err ? fail(err) : settle()));
  });
}

interface OpenFile {
  fh: FileHandle;
  /** Exactly one of `hash` (small files: hashed and batched here) and `writer` (large files: hashed on the worker, written by the thread pool). */
  hash: Hash | undefined;
  writer: HashingFileWriter | undefined;
  path: string;
  pending: Buffer[];
  pendingBytes: number;
  mode: number;
  mtime: number;
}

class ContextTarReader {
  readonly hashes: ContentHashes = new Map();
  /** What this reader created, by relative path: the only things in `root`. */
  private readonly made = new Map<string, Kind>([['', 'dir']]);
  private readonly dirTimes: { path: string; mtime: number }[] = [];
  private readonly block = Buffer.alloc(512);
  private blockFill = 0;
  private state: 'header' | 'data' | 'pad' | 'eof' = 'header';
  /** Bytes of the current entry's data (then padding) still to come. */
  private remaining = 0;
  private pad = 0;
  private entry: TarHeader | undefined;
  private meta: Buffer[] | undefined;
  private metaSize = 0;
  /** PAX / GNU long-name overrides for the next entry. */
  private next: PaxOverrides = {};
  private file: OpenFile | undefined;

  constructor(private readonly root: string) {}

  /** Consumes a chunk; returns a promise only when the caller must wait (a write or an entry's creation). */
  push(chunk: Buffer): Promise<void> | undefined {
    let off = 0;
    while (off < chunk.length) {
      switch (this.state) {
        case 'eof':
          return undefined;
        case 'pad': {
          const n = Math.min(this.pad, chunk.length - off);
          this.pad -= n;
          off += n;
          if (this.pad === 0) this.state = 'header';
          break;
        }
        case 'header': {
          let blk: Buffer;
          if (this.blockFill === 0 && chunk.length - off >= 512) {
            blk = chunk.subarray(off, off + 512);
            off += 512;
          } else {
            const n = Math.min(512 - this.blockFill, chunk.length - off);
            chunk.copy(this.block, this.blockFill, off, off + n);
            this.blockFill += n;
            off += n;
            if (this.blockFill < 512) break;
            this.blockFill = 0;
            blk = this.block;
          }
          const p = this.onHeader(blk);
          if (p) return p.then(() => this.push(chunk.subarray(off)));
          break;
        }
        case 'data': {
          const n = Math.min(this.remaining, chunk.length - off);
          const slice = chunk.subarray(off, off + n);
          off += n;
          this.remaining -= n;
          const p = this.onData(slice);
          if (p) return p.then(() => this.push(chunk.subarray(off)));
          break;
        }
      }
    }
    return undefined;
  }

  async end(): Promise<void> {
    // a tar may end right after the last file's bytes (no padding, no end blocks)
    if (this.state === 'data') throw new Error('unexpected EOF in the build context tar');
    if (this.state === 'header' && this.blockFill !== 0) throw new Error('unexpected EOF in the build context tar');
    for (const d of this.dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
  }

  async abort(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    await f?.writer?.finish().catch(() => undefined);
    await f?.fh.close().catch(() => undefined);
  }

  private onHeader(blk: Buffer): Promise<void> | undefined {
    if (isZero(blk)) {
      this.state = 'eof';
      return undefined;
    }
    const h = parseHeader(blk);
    const next = this.next;
    if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
      if (h.size > MAX_META) throw new ContextEntryError(`invalid build context: a ${h.type} header of ${h.size} bytes`);
      this.meta = [];
      this.metaSize = 0;
      this.entry = h;
      return this.startData(h.size);
    }
    if (next.path !== undefined) h.name = next.path;
    if (next.linkpath !== undefined) h.linkname = next.linkpath;
    if (next.size !== undefined) h.size = next.size;
    if (next.mtime !== undefined) h.mtime = next.mtime;
    this.next = {};
    if ((h.type === '0' || h.type === '\0' || h.type === '7') && h.name.endsWith('/')) h.type = '5';
    this.entry = h;
    return this.beginEntry(h);
  }

  private startData(size: number): undefined {
    this.remaining = size;
    this.pad = (512 - (size % 512)) % 512;
    this.state = size > 0 ? 'data' : 'header';
    if (size === 0) this.finishMeta();
    return undefined;
  }

  private onData(slice: Buffer): Promise<void> | undefined {
    const f = this.file;
    if (this.meta) {
      this.meta.push(slice);
      this.metaSize += slice.length;
    } else if (f?.writer) {
      const wait = f.writer.write(slice);
      if (wait) return wait.then(() => this.afterData(f));
    } else if (f) {
      f.hash?.update(slice);
      f.pending.push(slice);
      f.pendingBytes += slice.length;
    }
    return this.afterData(f);
  }

  /** After an entry's bytes: flush a full batch, or finish the entry when its last byte came. */
  private afterData(f: OpenFile | undefined): Promise<void> | undefined {
    if (this.remaining > 0) {
      if (f && f.pendingBytes >= WRITE_BATCH) return this.flush(f);
      return undefined;
    }
    this.state = this.pad > 0 ? 'pad' : 'header';
    if (this.meta) {
      this.finishMeta();
      return undefined;
    }
    if (f) return this.finishFile(f);
    return undefined;
  }

  private async flush(f: OpenFile): Promise<void> {
    const bufs = f.pending;
    f.pending = [];
    f.pendingBytes = 0;
    await f.fh.writev(bufs);
  }

  private async finishFile(f: OpenFile): Promise<void> {
    this.file = undefined;
    let digest: string;
    try {
      if (f.writer) {
        digest = await f.writer.finish();
      } else {
        if (f.pending.length > 0) await f.fh.writev(f.pending);
        digest = (f.hash as Hash).digest('hex');
      }
      await f.fh.chmod(f.mode);
      await f.fh.utimes(f.mtime, f.mtime);
    } finally {
      await f.fh.close();
    }
    this.hashes.set(f.path, digest);
  }

  private finishMeta(): void {
    const h = this.entry as TarHeader;
    const data = Buffer.concat(this.meta ?? []);
    this.meta = undefined;
    if (h.type === 'L') this.next.path = cString(data);
    else if (h.type === 'K') this.next.linkpath = cString(data);
    else if (h.type === 'x') Object.assign(this.next, parsePax(data));
  }

  private async beginEntry(h: TarHeader): Promise<void> {
    const name = h.name;
    if (name.startsWith('/')) throw new ContextEntryError(`invalid build context: absolute path ${JSON.stringify(name)} in the context tar`);
    const parts = name.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw new ContextEntryError(`invalid build context: path ${JSON.stringify(name)} escapes the context`);
    const isFile = h.type === '0' || h.type === '\0' || h.type === '7';
    if (parts.length === 0 || !['0', '\0', '7', '1', '2', '5'].includes(h.type)) {
      // the root itself; devices, fifos and the like have no place in a build context
      this.startData(isFile ? h.size : 0);
      return;
    }
    const rel = parts.join('/');
    const path = join(this.root, rel);
    if (Buffer.byteLength(path) > PATH_MAX) throw new ContextEntryError(`invalid build context: path ${JSON.stringify(name.slice(0, 200))}… is longer than PATH_MAX`);
    await this.ensureParent(rel, name);
    const old = this.made.get(rel);
    const mtime = h.mtime;
    switch (h.type) {
      case '5': {
        if (old !== 'dir') {
          if (old) await rm(path, { recursive: true, force: true });
          await mkdir(path, { mode: 0o755 });
          this.made.set(rel, 'dir');
        }
        await chmod(path, h.mode);
        this.dirTimes.push({ path, mtime });
        this.startData(0);
        return;
      }
      case '2':
        if (old) await rm(path, { recursive: true, force: true });
        await symlink(h.linkname, path);
        this.made.set(rel, 'symlink');
        await lutimes(path, mtime, mtime).catch(() => undefined);
        this.startData(0);
        return;
      case '1': {
        const target = h.linkname.split('/').filter((p) => p !== '' && p !== '.');
        if (target.includes('..') || h.linkname.startsWith('/') || this.made.get(target.join('/')) !== 'file') {
          throw new ContextEntryError(`invalid build context: link ${JSON.stringify(name)} escapes the context`);
        }
        if (old) await rm(path, { recursive: true, force: true });
        await link(join(this.root, ...target), path);
        this.made.set(rel, 'file');
        const known = this.hashes.get(join(this.root, ...target));
        if (known !== undefined) this.hashes.set(path, known);
        this.startData(0);
        return;
      }
      default: {
        if (old) await rm(path, { recursive: true, force: true });
        const fh = await open(path, FILE_FLAGS, 0o600);
        this.made.set(rel, 'file');
        const offload = h.size >= OFFLOAD_SIZE;
        // owned (closed by abort) before the writer is made: starting the worker may throw
        this.file = { fh, hash: offload ? undefined : createHash('sha256'), writer: undefined, path, pending: [], pendingBytes: 0, mode: h.mode, mtime };
        if (offload) this.file.writer = openHashingWriter(fh.fd);
        this.startData(h.size);
        if (h.size === 0) await this.finishFile(this.file);
      }
    }
  }

  /** Makes the entry's missing parents; they must be directories this reader made (never symlinks). */
  private async ensureParent(rel: string, name: string): Promise<void> {
    const slash = rel.lastIndexOf('/');
    if (slash < 0) return;
    const parent = rel.slice(0, slash);
    const kind = this.made.get(parent);
    if (kind === 'dir') return;
    if (kind !== undefined) throw new ContextEntryError(`invalid build context: ${JSON.stringify(name)} is below a non-directory`);
    // find the deepest known ancestor, then create downward
    const missing: string[] = [parent];
    let cur = parent;
    for (;;) {
      const i = cur.lastIndexOf('/');
      cur = i < 0 ? '' : cur.slice(0, i);
      const k = this.made.get(cur);
      if (k === 'dir') break;
      if (k !== undefined) throw new ContextEntryError(`invalid build context: ${JSON.stringify(name)} is below a non-directory`);
      missing.push(cur);
    }
    for (const d of missing.reverse()) {
      await mkdir(join(this.root, d), { mode: 0o755 });
      this.made.set(d, 'dir');
    }
  }
}
