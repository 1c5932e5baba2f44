import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';

/** Docker's archive.SplitPathDirEntry: a trailing `/.` keeps "." as the base. */
export function splitPathDirEntry(path: string): [string, string] {
  let cleaned = posix.normalize(path);
  if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  if (posix.basename(path) === '.' || path === '.' || path.endsWith('/.')) cleaned = cleaned === '.' ? '.' : `${cleaned.replace(/\/\.$/, '')}/.`;
  return [posix.dirname(cleaned), posix.basename(cleaned)];
}

/** Packs a local file or tree as Docker's TarResourceRebase: entries start with `rebase` ("." gives "./…"). */
export function tarLocalResource(path: string, rebase: string): Readable {
  const pack = tar.pack();
  const [dir, base] = splitPathDirEntry(path);
  const links = new Map<string, string>();
  const walk = async (host: string, name: string): Promise<void> => {
    const st = await lstat(host);
    const h = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtime };
    if (st.isDirectory()) {
      await new Promise<void>((res, rej) => pack.entry({ ...h, name: `${name}/`, type: 'directory' }, (e) => (e ? rej(e) : res())));
      for (const child of (await readdir(host)).sort()) await walk(join(host, child), `${name}/${child}`);
      return;
    }
    if (st.nlink > 1) {
      const first = links.get(`${st.dev}:${st.ino}`);
      if (first !== undefined) {
        await new Promise<void>((res, rej) => pack.entry({ ...h, name, type: 'link', linkname: first }, (e) => (e ? rej(e) : res())));
        return;
      }
      links.set(`${st.dev}:${st.ino}`, name);
    }
    if (st.isSymbolicLink()) {
      const target = await readlink(host);
      await new Promise<void>((res, rej) => pack.entry({ ...h, name, type: 'symlink', linkname: target }, (e) => (e ? rej(e) : res())));
    } else if (st.isFile()) {
      await new Promise<void>((res, rej) => {
        const sink = pack.entry({ ...h, name, type: 'file', size: st.size }, (e) => (e ? rej(e) : res()));
        pipeline(createReadStream(host), sink).catch(rej);
      });
    } else if (st.isFIFO()) {
      await new Promise<void>((res, rej) => pack.entry({ ...h, name, type: 'fifo' }, (e) => (e ? rej(e) : res())));
    }
  };
  walk(join(dir, base), rebase).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return pack as unknown as Readable;
}

/** Replaces the first occurrence of `oldBase` in each entry name (archive.RebaseArchiveEntries). */
function rebaseName(name: string, oldBase: string, newBase: string): string {
  const from = oldBase === '/' ? '' : oldBase;
  const i = name.indexOf(from);
  return i < 0 ? name : name.slice(0, i) + newBase + name.slice(i + from.length);
}

/**
 * Extracts a tar from the daemon into local `dir` as docker's CopyTo does:
 * owners not changed (NoLchown), no directory replaced by a file or vice
 * versa, entries never written outside `dir`.
 */
export async function untarLocal(source: Readable, dir: string, rebase?: { from: string; to: string }): Promise<void> {
  const ex = tar.extract();
  const dirTimes: { path: string; mtime: Date }[] = [];
  ex.on('entry', (header, stream, next) => {
    const run = async (): Promise<void> => {
      const name0 = rebase ? rebaseName(header.name, rebase.from, rebase.to) : header.name;
      const rel = posix.normalize(name0.replace(/^\/+/, '')).replace(/\/$/, '');
      if (rel === '..' || rel.startsWith('../')) throw new Error(`invalid tar entry ${JSON.stringify(header.name)}: outside of ${dir}`);
      const target = rel === '.' ? dir : join(dir, rel);
      await mkdir(dirname(target), { recursive: true });
      const existing = await lstat(target).catch(() => undefined);
      const isDir = header.type === 'directory';
      if (existing) {
        if (existing.isDirectory() && !isDir) throw new Error(`cannot overwrite directory "${target}" with non-directory "${header.name}"`);
        if (!existing.isDirectory() && isDir) throw new Error(`cannot overwrite non-directory "${target}" with directory "${header.name}"`);
        if (!isDir) await rm(target, { force: true });
      }
      switch (header.type) {
        case 'directory':
          if (!existing) await mkdir(target, { mode: 0o700 });
          dirTimes.push({ path: target, mtime: header.mtime ?? new Date() });
          break;
        case 'file':
          await pipeline(stream, createWriteStream(target, { mode: 0o600 }));
          break;
        case 'symlink':
          await symlink(header.linkname ?? '', target);
          break;
        case 'link': {
          const lrel = posix.normalize((rebase ? rebaseName(header.linkname ?? '', rebase.from, rebase.to) : (header.linkname ?? '')).replace(/^\/+/, ''));
          if (lrel.startsWith('..')) throw new Error(`invalid hardlink ${JSON.stringify(header.linkname)}`);
          await link(join(dir, lrel), target);
          break;
        }
        default:
          break;
      }
      stream.resume();
      if (header.type === 'symlink') {
        await lutimes(target, header.mtime ?? new Date(), header.mtime ?? new Date()).catch(() => undefined);
      } else if (header.type === 'file' || header.type === 'directory') {
        await chmod(target, header.mode ?? 0o644);
        if (header.type === 'file') await utimes(target, header.mtime ?? new Date(), header.mtime ?? new Date());
      }
    };
    run().then(
      () => next(),
      (err: unknown) => {
        stream.resume();
        ex.destroy(err as Error);
      },
    );
  });
  await pipeline(source, ex);
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
}
