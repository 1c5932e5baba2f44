import { lstat, mkdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../../errors/engine-error.js';

const MAX_SYMLINK_HOPS = 40;

/**
 * A container's filesystem as the host sees it: the root plus the mounts
 * that are not visible under it (a stopped container's volumes and binds).
 * For a running container `root` is /proc/<pid>/root and `mounts` is empty:
 * that view already shows the container's mount namespace.
 */
export interface FsView {
  readonly root: string;
  readonly mounts: readonly { readonly destination: string; readonly source: string }[];
}

/** Host path of container path components: the deepest mount containing them, else the root. */
export function hostPathOf(view: FsView, comps: readonly string[]): string {
  const path = '/' + comps.join('/');
  let best: { destination: string; source: string } | undefined;
  for (const m of view.mounts) {
    if (path === m.destination || path.startsWith(m.destination === '/' ? '/' : `${m.destination}/`)) {
      if (!best || m.destination.length > best.destination.length) best = m;
    }
  }
  if (!best) return join(view.root, ...comps);
  const rest = path.slice(best.destination.length).split('/').filter((c) => c !== '');
  return join(best.source, ...rest);
}

export interface Resolved {
  /** The container path after following symlinks, as components. */
  readonly comps: string[];
  readonly host: string;
}

/**
 * Resolves a container path the way the container would: symlinks (absolute
 * or relative) and `..` never leave the container's view, because every
 * component is looked up with lstat and links are expanded here, never by
 * the kernel. The final component is followed only with `followFinal`.
 * Missing directories are created (mode 0755) when `createDirs`.
 */
export async function resolveContainerPath(view: FsView, path: string, opts: { followFinal: boolean; createDirs?: boolean }): Promise<Resolved> {
  const todo = path.split('/').filter((c) => c !== '' && c !== '.');
  if (todo.some((c) => c.includes('\0'))) throw invalidArgument('invalid path');
  const cur: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const candidate = [...cur, c];
    const last = todo.length === 0;
    const host = hostPathOf(view, candidate);
    const st = await lstat(host).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw err;
    });
    if (st === undefined) {
      if (!last && opts.createDirs) await mkdir(host, { mode: 0o755 });
      cur.push(c);
      continue;
    }
    if (st.isSymbolicLink() && (!last || opts.followFinal)) {
      if (++hops > MAX_SYMLINK_HOPS) throw invalidArgument(`too many levels of symbolic links: ${path}`);
      const target = await readlink(host);
      if (target.startsWith('/')) cur.length = 0;
      todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    cur.push(c);
  }
  return { comps: cur, host: hostPathOf(view, cur) };
}
