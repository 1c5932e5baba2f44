import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { invalidArgument, notFound } from '../../errors/engine-error.js';
import { withContainerFs, type ArchiveSession } from './archive-session.js';
import { resolveContainerPath } from './archive-view.js';
import { packTree } from './archive-tar.js';
import type { ContainerSupervisor } from './supervisor.js';

/** Docker's container path stat (X-Docker-Container-Path-Stat), mode as Go's os.FileMode. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go os.FileMode bits from a stat. */
function goFileMode(st: Stats): number {
  let mode = st.mode & 0o777;
  if (st.mode & 0o4000) mode += 2 ** 23;
  if (st.mode & 0o2000) mode += 2 ** 22;
  if (st.mode & 0o1000) mode += 2 ** 20;
  if (st.isDirectory()) mode += 2 ** 31;
  else if (st.isSymbolicLink()) mode += 2 ** 27;
  else if (st.isFIFO()) mode += 2 ** 25;
  else if (st.isSocket()) mode += 2 ** 24;
  else if (st.isCharacterDevice()) mode += 2 ** 26 + 2 ** 21;
  else if (st.isBlockDevice()) mode += 2 ** 26;
  return mode;
}

const notFoundIn = (path: string, c: { name: string }): Error => notFound(`Could not find the file ${path} in container ${c.name}`);

interface Target {
  stat: PathStat;
  comps: string[];
  /** Name of the top entry in the archive ('./' for a trailing `/.`). */
  entryName: string;
}

/** Docker's path rules: the parent is resolved in full, the last element only with a trailing `/` (or `/.`). */
async function resolveTarget(s: ArchiveSession, path: string): Promise<Target> {
  if (path === '') throw invalidArgument('Path cannot be empty');
  const abs = posix.join('/', path);
  const trailingDot = /(^|\/)\.$/.test(path);
  const trailingSep = path.endsWith('/') || trailingDot;
  const r = await resolveContainerPath(s.view, abs, { followFinal: trailingSep });
  const st = await lstat(r.host).catch(() => undefined);
  if (!st) throw notFoundIn(path, s.container);
  let linkTarget = '';
  if (st.isSymbolicLink()) {
    const full = await resolveContainerPath(s.view, abs, { followFinal: true });
    linkTarget = '/' + full.comps.join('/');
  }
  const baseName = trailingDot ? '.' : abs === '/' ? '/' : posix.basename(abs);
  return {
    stat: { name: baseName, size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString().replace('.000Z', 'Z'), linkTarget },
    comps: r.comps,
    entryName: trailingDot || abs === '/' ? './' : baseName,
  };
}

/** HEAD /containers/{id}/archive. */
export function statContainerPath(sup: ContainerSupervisor, ref: string, path: string): Promise<PathStat> {
  return withContainerFs(sup, ref, async (s) => (await resolveTarget(s, path)).stat);
}

/**
 * GET /containers/{id}/archive: `open` receives the stat (for the header)
 * and returns where the tar goes; the stream ends before the (stopped)
 * container's rootfs is unmounted again.
 */
export function archiveContainerPath(sup: ContainerSupervisor, ref: string, path: string, open: (stat: PathStat) => Writable): Promise<void> {
  return withContainerFs(sup, ref, async (s) => {
    const target = await resolveTarget(s, path);
    const out = open(target.stat);
    const pack = tar.pack();
    const done = pipeline(pack, out);
    // A client that goes away rejects `done` while packing is still under way: handled below, not an unhandled rejection.
    done.catch(() => undefined);
    try {
      await packTree(pack, s.view, target.comps, target.entryName, sup.ctx.settings.userns ? { idMap: sup.ctx.settings.userns.idMap } : {});
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
    await done;
  });
}
