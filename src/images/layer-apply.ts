import { once } from 'node:events';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';

type TarHeader = tar.Header;
type TarEntry = AsyncIterable<Buffer> & { resume(): unknown };
import { EngineError, invalidArgument } from '../errors/engine-error.js';
import { Sha256Digester } from '../lib/digest.js';
import { hostGid, hostUid, remappedRoot, type IdMapping } from '../lib/id-mapping.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, makedev, mknod } from '../lib/syscalls.js';
import { decompressStream } from './decompress.js';
import { asyncLayerFs, type LayerFs } from './layer-fs.js';
import { rawPaxOf } from './tar-raw-pax.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';
const MAX_SYMLINK_HOPS = 40;

export interface AppliedLayer {
  /** Bytes of regular file content written. */
  readonly size: number;
  /** `sha256:` of the uncompressed tar stream. */
  readonly diffId: string;
}

/**
 * Unpacks a layer tar (plain, gzip or zstd) into `destDir` as an overlay
 * lower dir: AUFS whiteouts become overlay whiteouts (0/0 char devices) and
 * opaque markers become `trusted.overlay.opaque=y`. Every path is resolved
 * inside `destDir` (symlinks included, like openat2 RESOLVE_IN_ROOT); entries
 * with `..` are rejected. On error the caller removes `destDir`.
 */
export async function applyLayer(source: Readable, destDir: string, options: ApplyLayerOptions = {}): Promise<AppliedLayer> {
  try {
    return await applyLayerUnchecked(source, destDir, options);
  } catch (err) {
    source.destroy();
    if (err instanceof EngineError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC' || e.code === 'EIO' || e.code === 'EDQUOT') throw err;
    throw invalidArgument(`failed to apply layer: ${e.message}`, { cause: err });
  }
}

async function applyLayerUnchecked(source: Readable, destDir: string, options: ApplyLayerOptions): Promise<AppliedLayer> {
  const { stream } = await decompressStream(source);
  const digester = new Sha256Digester();
  const extract = tar.extract();
  const state: ApplyState = { root: destDir, fs: options.fs ?? asyncLayerFs, size: 0, dirTimes: [], dirs: new Map(), ...(options.idMap ? { idMap: options.idMap } : {}) };

  const entriesDone = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, entry, next) => {
      // the extractor reports a broken entry itself; keep the entry's copy of it from going unhandled
      entry.on('error', () => undefined);
      applyEntry(state, header, entry as unknown as TarEntry).then(
        () => next(),
        (err: unknown) => {
          entry.resume();
          reject(err);
          extract.destroy(err as Error);
          next(err as Error);
        },
      );
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  entriesDone.catch(() => undefined);

  const pump = async (): Promise<void> => {
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        digester.update(chunk);
        if (!extract.write(chunk)) await Promise.race([once(extract, 'drain'), entriesDone]);
      }
    } catch (err) {
      extract.destroy(err as Error);
      throw err;
    }
    extract.end(undefined);
  };
  await Promise.all([pump(), entriesDone]);
  // Directory times last: writing children changes a directory's mtime.
  for (const d of state.dirTimes.reverse()) await state.fs.utimes(d.path, d.atime, d.mtime);
  return { size: state.size, diffId: digester.digest() };
}

export interface ApplyLayerOptions {
  /** userns-remap: entries' owners are shifted to the host side of this mapping. */
  readonly idMap?: IdMapping;
  /** How file-system calls are made (default: on libuv's pool; see layer-fs.ts). */
  readonly fs?: LayerFs;
}

interface ApplyState {
  readonly root: string;
  readonly fs: LayerFs;
  readonly idMap?: IdMapping;
  size: number;
  readonly dirTimes: { path: string; atime: Date; mtime: Date }[];
  /**
   * Parent directories already resolved, by entry-relative path: an entry
   * then costs O(1) lookups instead of one per path component (deep trees
   * were O(depth²) lstats). Cleared whenever a directory or symlink goes.
   */
  readonly dirs?: Map<string, string>;
}

/** The resolved parent directory of an entry, from the cache or by walking (see ApplyState.dirs). */
async function parentDir(state: ApplyState, comps: readonly string[]): Promise<string> {
  const owner = state.idMap ? remappedRoot(state.idMap) : undefined;
  if (!state.dirs) return resolveDirInRoot(state.root, comps.slice(0, -1), true, owner, state.fs);
  const key = comps.slice(0, -1).join('/');
  const hit = state.dirs.get(key);
  if (hit !== undefined) return hit;
  let dir: string | undefined;
  const up = comps.length >= 2 ? state.dirs.get(comps.slice(0, -2).join('/')) : undefined;
  const last = comps[comps.length - 2];
  if (up !== undefined && last !== undefined) {
    // one more level below a known directory: a plain directory (or a missing one) needs no walk
    const p = join(up, last);
    const st = await state.fs.lstat(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st?.isDirectory()) dir = p;
    else if (!st) {
      await state.fs.mkdir(p, 0o755);
      if (owner) await state.fs.lchown(p, owner.uid, owner.gid);
      dir = p;
    }
  }
  dir ??= await resolveDirInRoot(state.root, comps.slice(0, -1), true, owner, state.fs);
  state.dirs.set(key, dir);
  return dir;
}

/** Splits a tar entry name into clean components; rejects `..`. */
export function entryComponents(name: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw invalidArgument(`invalid layer: entry ${JSON.stringify(name)} escapes the layer root`);
  if (parts.some((p) => p.includes('\0'))) throw invalidArgument(`invalid layer: bad entry name ${JSON.stringify(name)}`);
  return parts;
}

/**
 * Resolves a directory path inside `root` following symlinks as if `root`
 * were `/` (absolute targets restart at root, `..` stops at root). Missing
 * directories are created when `create` (owned by `owner` when given);
 * returns the real directory path.
 */
export async function resolveDirInRoot(root: string, components: readonly string[], create: boolean, owner?: { uid: number; gid: number }, fs: LayerFs = asyncLayerFs): Promise<string> {
  const todo = [...components];
  const cur: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const p = join(root, ...cur, c);
    let st;
    try {
      st = await fs.lstat(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
      await fs.mkdir(p, 0o755);
      if (owner) await fs.lchown(p, owner.uid, owner.gid);
      cur.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) throw invalidArgument(`invalid layer: too many levels of symbolic links at ${JSON.stringify(c)}`);
      const target = await fs.readlink(p);
      if (target.startsWith('/')) cur.length = 0;
      todo.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw invalidArgument(`invalid layer: ${[...cur, c].join('/')} is not a directory`);
    cur.push(c);
  }
  return join(root, ...cur);
}

async function removeExisting(path: string, keepDir: boolean, state: ApplyState): Promise<void> {
  let st;
  try {
    st = await state.fs.lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (keepDir && st.isDirectory()) return;
  if (st.isDirectory() || st.isSymbolicLink()) state.dirs?.clear();
  await state.fs.rm(path);
}

async function applyEntry(state: ApplyState, header: TarHeader, entry: TarEntry): Promise<void> {
  const comps = entryComponents(header.name);
  const base = comps[comps.length - 1];
  // userns-remap: parents the layer leaves out belong to the remapped root (moby MkdirAllAndChownNew).
  const parent = await parentDir(state, comps);

  if (base !== undefined && base.startsWith(WHITEOUT_PREFIX)) {
    entry.resume();
    if (base === OPAQUE_WHITEOUT) {
      lsetxattr(parent, 'trusted.overlay.opaque', Buffer.from('y'));
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // AUFS metadata (plinks), not content
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw invalidArgument(`invalid layer: bad whiteout ${JSON.stringify(header.name)}`);
    const target = join(parent, hidden);
    await removeExisting(target, false, state);
    mknod(target, S_IFCHR, 0);
    return;
  }

  const path = base === undefined ? state.root : join(parent, base);
  const mode = header.mode & 0o7777;
  const headerType = header.type as string;
  switch (header.type) {
    case 'directory':
      await removeExisting(path, true, state);
      if (base !== undefined) await state.fs.mkdir(path, 0o700).catch(ignoreExists);
      break;
    case 'file':
    case 'contiguous-file': {
      if (base === undefined) throw invalidArgument('invalid layer: a file entry names the layer root');
      await removeExisting(path, false, state);
      const fh = await state.fs.createFile(path, 0o600);
      try {
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          await fh.write(chunk);
          state.size += chunk.length;
        }
      } finally {
        await fh.close();
      }
      break;
    }
    case 'symlink':
      if (base === undefined) throw invalidArgument('invalid layer: a symlink entry names the layer root');
      await removeExisting(path, false, state);
      await state.fs.symlink(header.linkname ?? '', path);
      break;
    case 'link': {
      if (base === undefined) throw invalidArgument('invalid layer: a hardlink entry names the layer root');
      const targetComps = entryComponents(header.linkname ?? '');
      const targetBase = targetComps[targetComps.length - 1];
      if (targetBase === undefined) throw invalidArgument(`invalid layer: bad hardlink target for ${JSON.stringify(header.name)}`);
      const targetParent = await resolveDirInRoot(state.root, targetComps.slice(0, -1), false, undefined, state.fs);
      const target = join(targetParent, targetBase);
      const st = await state.fs.lstat(target);
      if (st.isDirectory()) throw invalidArgument(`invalid layer: hardlink ${JSON.stringify(header.name)} to a directory`);
      await removeExisting(path, false, state);
      await state.fs.link(target, path);
      entry.resume();
      return; // a hard link shares the target's metadata
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      if (base === undefined) throw invalidArgument('invalid layer: a device entry names the layer root');
      await removeExisting(path, false, state);
      const type = header.type === 'fifo' ? S_IFIFO : header.type === 'block-device' ? S_IFBLK : S_IFCHR;
      mknod(path, type | 0o600, header.type === 'fifo' ? 0 : makedev(header.devmajor ?? 0, header.devminor ?? 0));
      break;
    }
    default:
      if (['pax-global-header', 'pax-header', 'gnu-long-path', 'gnu-long-link-path'].includes(headerType)) {
        entry.resume();
        return;
      }
      throw invalidArgument(`invalid layer: unsupported entry type ${String(header.type)} for ${JSON.stringify(header.name)}`);
  }
  entry.resume();
  await applyMetadata(state, path, header, mode);
}

async function applyMetadata(state: ApplyState, path: string, header: TarHeader, mode: number): Promise<void> {
  const isLink = header.type === 'symlink';
  // chown clears file capabilities and setuid bits, so: chown → chmod → xattrs → times.
  const paxUid = header.pax ? Number((header.pax as Record<string, string>)['uid']) : NaN;
  const paxGid = header.pax ? Number((header.pax as Record<string, string>)['gid']) : NaN;
  const uid = Number.isInteger(paxUid) ? paxUid : header.uid;
  const gid = Number.isInteger(paxGid) ? paxGid : header.gid;
  await state.fs.lchown(path, state.idMap ? hostUid(state.idMap, uid) : uid, state.idMap ? hostGid(state.idMap, gid) : gid);
  if (!isLink) await state.fs.chmod(path, mode);
  for (const [name, value] of xattrsOf(header)) {
    // overlay's own attributes (redirect, metacopy, opaque) must not come from layer content.
    if (name.startsWith('trusted.overlay.')) continue;
    lsetxattr(path, name, value);
  }
  const mtime = readPaxTime(header, 'mtime') ?? header.mtime;
  const atime = readPaxTime(header, 'atime') ?? mtime;
  if (header.type === 'directory') state.dirTimes.push({ path, atime, mtime });
  else if (isLink) await state.fs.lutimes(path, atime, mtime);
  else await state.fs.utimes(path, atime, mtime);
}

function xattrsOf(header: TarHeader): [string, Buffer][] {
  const raw = rawPaxOf(header);
  if (!raw) return [];
  const out: [string, Buffer][] = [];
  for (const [key, value] of raw) {
    if (key.startsWith('SCHILY.xattr.')) out.push([key.slice('SCHILY.xattr.'.length), value]);
    else if (key.startsWith('LIBARCHIVE.xattr.')) {
      out.push([decodeURIComponent(key.slice('LIBARCHIVE.xattr.'.length)), Buffer.from(value.toString('latin1'), 'base64')]);
    }
  }
  return out;
}

function readPaxTime(header: TarHeader, key: string): Date | undefined {
  const v = (header.pax as Record<string, string> | null | undefined)?.[key];
  if (v === undefined) return undefined;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? new Date(n * 1000) : undefined;
}

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}
