import { once } from 'node:events';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { EngineError, invalidArgument, notFound } from '../../errors/engine-error.js';
import { S_IFIFO, mknod } from '../../lib/syscalls.js';
import { hostGid, hostUid, type IdMapping } from '../../lib/id-mapping.js';
import { decompressStream } from '../../images/decompress.js';
import { withContainerFs } from './archive-session.js';
import { resolveContainerPath, type FsView } from './archive-view.js';
import type { ContainerRecord } from './container-model.js';
import type { ContainerSupervisor } from './supervisor.js';

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory and vice versa. */
  readonly noOverwriteDirNonDir?: boolean;
  /** Keep the archive's uid/gid (`cp -a`); otherwise files belong to the container's root. */
  readonly copyUIDGID?: boolean;
  /** userns-remap: the archive's (or root's) ids are the container's, shifted to the host's here. */
  readonly idMap?: IdMapping;
}

type TarEntry = AsyncIterable<Buffer> & { resume(): unknown };

/**
 * PUT /containers/{id}/archive: extracts a tar (plain or compressed) into
 * the directory `path` of the container. Every entry is resolved through
 * the container's view (symlinks in the container and in the archive never
 * lead outside it); `..` escaping the target, and device nodes, are refused.
 */
export function extractToContainer(sup: ContainerSupervisor, ref: string, path: string, source: Readable, opts: ExtractOptions = {}): Promise<void> {
  return withContainerFs(sup, ref, async (s) => {
    if (path === '') throw invalidArgument('Path cannot be empty');
    const abs = posix.join('/', path);
    const dest = await resolveContainerPath(s.view, abs, { followFinal: true });
    const st = await lstat(dest.host).catch(() => undefined);
    if (!st) throw notFound(`Could not find the file ${path} in container ${s.container.name}`);
    if (!st.isDirectory()) throw invalidArgument('extraction point is not a directory');
    checkWritable(s.container, '/' + dest.comps.join('/'));
    try {
      const remap = sup.ctx.settings.userns;
      await extract(s.view, '/' + dest.comps.join('/'), source, remap ? { ...opts, idMap: remap.idMap } : opts);
    } catch (err) {
      source.resume();
      if (err instanceof EngineError) throw err;
      throw invalidArgument(`error while extracting archive: ${(err as Error).message}`, { cause: err });
    }
  });
}

function checkWritable(c: ContainerRecord, containerPath: string): void {
  const mount = (c.runtime.mounts ?? [])
    .filter((m) => containerPath === m.destination || containerPath.startsWith(`${m.destination}/`))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (mount) {
    if (mount.readOnly) throw new EngineError('forbidden', 'mounted volume is marked read-only');
    return;
  }
  if (c.hostConfig.ReadonlyRootfs) throw new EngineError('forbidden', 'container rootfs is marked read-only');
}

async function extract(view: FsView, destPath: string, source: Readable, opts: ExtractOptions): Promise<void> {
  const { stream } = await decompressStream(source);
  const ex = tar.extract();
  const dirTimes: { path: string; mtime: Date }[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, entry, next) => {
      entry.on('error', () => undefined);
      applyEntry(view, destPath, header, entry as unknown as TarEntry, opts, dirTimes).then(
        () => next(),
        (err: unknown) => {
          entry.resume();
          reject(err);
          ex.destroy(err as Error);
        },
      );
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  done.catch(() => undefined);
  const pump = async (): Promise<void> => {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (!ex.write(chunk)) await Promise.race([once(ex, 'drain'), done]);
    }
    ex.end(undefined);
  };
  await Promise.all([pump(), done]);
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
}

/** The entry's path below the extraction point; absolute names are taken as relative (Go's tar does the same). */
function relativeName(name: string, destPath: string): string {
  const rel = posix.normalize(name.replace(/^\/+/, ''));
  if (rel === '..' || rel.startsWith('../')) throw invalidArgument(`invalid archive: "${name}" is outside of "${destPath}"`);
  return rel === '.' || rel === './' ? '' : rel.replace(/\/$/, '');
}

async function applyEntry(
  view: FsView,
  destPath: string,
  header: tar.Header,
  entry: TarEntry,
  opts: ExtractOptions,
  dirTimes: { path: string; mtime: Date }[],
): Promise<void> {
  const type = header.type as string;
  if (['pax-global-header', 'pax-header', 'gnu-long-path', 'gnu-long-link-path'].includes(type)) {
    entry.resume();
    return;
  }
  if (type === 'character-device' || type === 'block-device') {
    throw invalidArgument(`invalid archive: device file ${JSON.stringify(header.name)} cannot be copied into a container`);
  }
  const rel = relativeName(header.name, destPath);
  const containerPath = posix.join(destPath, rel);
  const base = posix.basename(containerPath);
  const parentPath = posix.dirname(containerPath);
  const parent = await resolveContainerPath(view, parentPath, { followFinal: true, createDirs: true });
  const parentSt = await lstat(parent.host).catch(() => undefined);
  if (!parentSt?.isDirectory()) {
    if (!parentSt) {
      await mkdir(parent.host, { mode: 0o755 });
      if (opts.idMap) await lchown(parent.host, hostUid(opts.idMap, 0), hostGid(opts.idMap, 0));
    }
    else throw invalidArgument(`invalid archive: parent of ${JSON.stringify(header.name)} is not a directory`);
  }
  const target = rel === '' ? parent.host : join(parent.host, base);
  const existing = rel === '' ? await lstat(target) : await lstat(target).catch(() => undefined);
  const isDir = type === 'directory';
  if (existing) {
    if (opts.noOverwriteDirNonDir && existing.isDirectory() && !isDir) {
      throw invalidArgument(`cannot overwrite directory "${containerPath}" with non-directory "${header.name}"`);
    }
    if (opts.noOverwriteDirNonDir && !existing.isDirectory() && isDir) {
      throw invalidArgument(`cannot overwrite non-directory "${containerPath}" with directory "${header.name}"`);
    }
    if (!(isDir && existing.isDirectory())) {
      if (rel === '') throw invalidArgument('invalid archive: an entry replaces the extraction point');
      await rm(target, { recursive: true, force: true });
    }
  }
  switch (type) {
    case 'directory':
      if (!existing?.isDirectory()) await mkdir(target, { mode: 0o700 });
      break;
    case 'file':
    case 'contiguous-file': {
      const fh = await open(target, 'wx', 0o600);
      try {
        for await (const chunk of entry) await fh.write(chunk);
      } finally {
        await fh.close();
      }
      break;
    }
    case 'symlink':
      await symlink(header.linkname ?? '', target);
      break;
    case 'link': {
      const linkRel = relativeName(header.linkname ?? '', destPath);
      const from = await resolveContainerPath(view, posix.join(destPath, linkRel), { followFinal: false });
      const st = await lstat(from.host);
      if (st.isDirectory()) throw invalidArgument(`invalid archive: hard link ${JSON.stringify(header.name)} to a directory`);
      await link(from.host, target);
      entry.resume();
      return;
    }
    case 'fifo':
      mknod(target, S_IFIFO | 0o600, 0);
      break;
    default:
      throw invalidArgument(`invalid archive: unsupported entry type ${type} for ${JSON.stringify(header.name)}`);
  }
  entry.resume();
  const uid = opts.copyUIDGID ? header.uid : 0;
  const gid = opts.copyUIDGID ? header.gid : 0;
  await lchown(target, opts.idMap ? hostUid(opts.idMap, uid) : uid, opts.idMap ? hostGid(opts.idMap, gid) : gid);
  if (type !== 'symlink') await chmod(target, header.mode & 0o7777);
  if (type === 'directory') dirTimes.push({ path: target, mtime: header.mtime });
  else if (type === 'symlink') await lutimes(target, header.mtime, header.mtime);
  else await utimes(target, header.mtime, header.mtime);
}
