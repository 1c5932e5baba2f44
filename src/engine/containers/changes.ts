import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { requireContainer } from './container-repo.js';
import { INIT_LAYER_PATHS } from './export.js';
import type { ContainerSupervisor } from './supervisor.js';

/** Docker's change kinds: 0 modified, 1 added, 2 deleted. */
export interface FilesystemChange {
  Path: string;
  Kind: 0 | 1 | 2;
}

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/**
 * GET /containers/{id}/changes: read from the overlay upper dir against
 * the image's layers. A whiteout is a deletion; a path that exists below
 * is modified, otherwise added. Directories are reported as modified only
 * when something under them changed or their own metadata did, so the
 * engine's mount points (init layer) leave no trace.
 */
export async function containerChanges(sup: ContainerSupervisor, ref: string): Promise<FilesystemChange[]> {
  const c = requireContainer(sup.ctx.db, ref);
  const upper = `${c.runtime.rwDir}/upper`;
  const lowers = [...c.runtime.chainIds].reverse().map((id) => sup.ctx.snapshots.layerDir(id));
  const out: FilesystemChange[] = [];
  const walk = async (rel: string[]): Promise<boolean> => {
    let any = false;
    const names = (await readdir(join(upper, ...rel)).catch(() => [] as string[])).sort();
    for (const name of names) {
      const comps = [...rel, name];
      const relPath = comps.join('/');
      if (INIT_LAYER_PATHS.includes(relPath)) continue;
      const st = await lstat(join(upper, ...comps));
      const below = await lowerStat(lowers, comps);
      const path = `/${relPath}`;
      if (isWhiteout(st)) {
        if (below) {
          out.push({ Path: path, Kind: 2 });
          any = true;
        }
        continue;
      }
      if (st.isDirectory()) {
        const at = out.length;
        const childChanged = await walk(comps);
        if (!below) out.splice(at, 0, { Path: path, Kind: 1 });
        else if (childChanged || below.mode !== st.mode || below.uid !== st.uid || below.gid !== st.gid) out.splice(at, 0, { Path: path, Kind: 0 });
        else continue;
        any = true;
        continue;
      }
      out.push({ Path: path, Kind: below ? 0 : 1 });
      any = true;
    }
    return any;
  };
  await walk([]);
  return out;
}

/** The topmost lower layer's entry at `comps`, stopping at whiteouts. */
async function lowerStat(lowers: readonly string[], comps: readonly string[]): Promise<Stats | undefined> {
  for (const dir of lowers) {
    const st = await lstat(join(dir, ...comps)).catch(() => undefined);
    if (!st) continue;
    if (isWhiteout(st)) return undefined;
    return st;
  }
  return undefined;
}

