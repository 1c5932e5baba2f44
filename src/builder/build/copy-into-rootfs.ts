import { type Stats, createReadStream, createWriteStream } from 'node:fs';
import { chmod, lchown, lstat, lutimes, mkdir, open, readdir, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { detectCompression } from '../../images/decompress.js';
import { applyLayer } from '../../images/layer-apply.js';
import { BuildError, type ContextSource, resolveScoped } from './build-context.js';

export interface CopyOptions {
  /** Absolute destination inside the rootfs, already joined with WORKDIR. */
  readonly dest: string;
  /** True when the written dest ended in `/` (always a directory). */
  readonly destIsDir: boolean;
  readonly uid: number;
  readonly gid: number;
  /** `--chmod` as an octal mode, applied to every copied entry. */
  readonly mode?: number;
  /** ADD: local tar archives are unpacked instead of copied. */
  readonly extractArchives: boolean;
}

/**
 * Copies resolved sources into a mounted rootfs with Docker's COPY rules: a
 * directory source copies its contents, several sources need a directory
 * destination, a file onto an existing directory lands inside it. Every path
 * in the rootfs resolves inside it (symlinks as if the rootfs were `/`).
 * Directories created on the way to `dest` get the copy's owner and mtime 0
 * so the resulting layer does not depend on the clock.
 */
export async function copyIntoRootfs(root: string, sources: readonly ContextSource[], opts: CopyOptions, cmd: string): Promise<void> {
  const many = sources.length > 1;
  if (many && !opts.destIsDir) throw new BuildError(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
  const destPath = await resolveScoped(root, opts.dest);
  const existing = await stat(destPath).catch(() => undefined);
  const intoDir = opts.destIsDir || many || existing?.isDirectory() === true;
  // Existing directories on the way keep their times, so the layer does not depend on the clock.
  const keepTimes = await existingAncestors(root, opts.dest);
  const created: string[] = [];
  try {
    await copySources(root, sources, { ...opts, created }, destPath, intoDir);
  } finally {
    // directories made on the way get time 0, deepest first (a child's creation touches its parent)
    for (const d of created.splice(0).reverse()) await utimes(d, 0, 0).catch(() => undefined);
    for (const d of keepTimes.reverse()) await utimes(d.path, d.atime, d.mtime).catch(() => undefined);
  }
}

async function existingAncestors(root: string, dest: string): Promise<{ path: string; atime: Date; mtime: Date }[]> {
  const out: { path: string; atime: Date; mtime: Date }[] = [];
  const parts = dest.split('/').filter((p) => p !== '' && p !== '.');
  for (let i = 0; i <= parts.length; i++) {
    const abs = await resolveScoped(root, parts.slice(0, i).join('/'));
    const st = await stat(abs).catch(() => undefined);
    if (!st?.isDirectory()) break;
    out.push({ path: abs, atime: st.atime, mtime: st.mtime });
  }
  return out;
}

async function copySources(root: string, sources: readonly ContextSource[], opts: CopyOptions & { created: string[] }, destPath: string, intoDir: boolean): Promise<void> {
  for (const src of sources) {
    if (src.isDir) {
      await ensureDir(root, opts.dest, opts);
      await copyTree(src.abs, destPath, opts);
      continue;
    }
    if (opts.extractArchives && src.download !== true && (await isArchive(src.abs))) {
      await ensureDir(root, opts.dest, opts);
      await applyLayer(createReadStream(src.abs), destPath);
      continue;
    }
    if (intoDir) {
      await ensureDir(root, opts.dest, opts);
      await copyEntry(src.abs, join(destPath, basename(src.rel)), opts, true);
    } else {
      await ensureDir(root, posix.dirname(opts.dest), opts);
      await copyEntry(src.abs, destPath, opts, true);
    }
  }
}

/** Writes heredoc content as a file (COPY <<EOF /dst). */
export async function writeHeredocFile(root: string, name: string, content: string, opts: CopyOptions): Promise<void> {
  const dir = opts.destIsDir ? opts.dest : posix.dirname(opts.dest);
  await ensureDir(root, dir, opts);
  const target = opts.destIsDir ? join(await resolveScoped(root, opts.dest), name) : await resolveScoped(root, opts.dest);
  await rm(target, { force: true, recursive: true });
  await writeFile(target, content, { mode: 0o644 });
  await lchown(target, opts.uid, opts.gid);
  await chmod(target, opts.mode ?? 0o644);
  await utimes(target, 0, 0);
}

async function ensureDir(root: string, dir: string, opts: CopyOptions & { created?: string[] }): Promise<void> {
  const parts = dir.split('/').filter((p) => p !== '' && p !== '.');
  let rel = '';
  for (const p of parts) {
    rel = `${rel}/${p}`;
    const abs = await resolveScoped(root, rel);
    const st = await lstat(abs).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new BuildError(`mkdir ${rel}: not a directory`);
    await mkdir(abs, { mode: 0o755 });
    await lchown(abs, opts.uid, opts.gid);
    await utimes(abs, 0, 0);
    opts.created?.push(abs);
  }
}

async function copyTree(srcDir: string, destDir: string, opts: CopyOptions, fresh = false, srcStat?: Stats): Promise<void> {
  for (const name of (await readdir(srcDir)).sort()) {
    await copyEntry(join(srcDir, name), join(destDir, name), opts, false, fresh);
  }
  // a directory copyEntry made gets its times there; a COPY of a directory's contents sets them here
  if (srcStat) return;
  const st = await stat(srcDir);
  await utimes(destDir, st.atime, st.mtime).catch(() => undefined);
}

/**
 * Copies one entry. `fresh`: the destination's parent was just made by this
 * copy, so nothing can be in the way (one path lookup less per entry: each
 * syscall walks the whole path, which adds up in deep trees).
 */
async function copyEntry(src: string, dest: string, opts: CopyOptions, followTop: boolean, fresh = false): Promise<void> {
  const st = followTop ? await stat(src) : await lstat(src);
  const mode = opts.mode ?? st.mode & 0o7777;
  const old = fresh ? undefined : await lstat(dest).catch(() => undefined);
  if (st.isDirectory()) {
    if (old && !old.isDirectory()) await rm(dest, { force: true });
    const made = !old || !old.isDirectory();
    if (made) await mkdir(dest, { mode: 0o755 });
    await copyTree(src, dest, opts, made, st);
    await lchown(dest, opts.uid, opts.gid);
    await chmod(dest, mode);
    await utimes(dest, st.atime, st.mtime);
    return;
  }
  if (old) await rm(dest, { force: true, recursive: true });
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src), dest);
    await lchown(dest, opts.uid, opts.gid);
    await lutimes(dest, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) return;
  await pipeline(createReadStream(src), createWriteStream(dest, { mode: 0o600 }));
  await lchown(dest, opts.uid, opts.gid);
  await chmod(dest, mode);
  await utimes(dest, st.atime, st.mtime);
}

async function isArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const buf = head.subarray(0, bytesRead);
    if (detectCompression(buf) !== 'none') return true;
    return bytesRead >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar';
  } finally {
    await fh.close();
  }
}
