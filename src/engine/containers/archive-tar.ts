import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type * as tar from 'tar-stream';
import { hostPathOf, type FsView } from './archive-view.js';
import { containerGid, containerUid, type IdMapping } from '../../lib/id-mapping.js';

/**
 * Writes the tree at container path `comps` into `pack`, entries named
 * `name` and below. Nothing is followed: symlinks are archived as links,
 * each child is looked up again through the view (so mounts below the
 * tree show), hard links inside the tree become link entries. Sockets are
 * skipped as Docker does. `skip` prunes container paths (export skips mounts).
 */
export async function packTree(
  pack: tar.Pack,
  view: FsView,
  comps: readonly string[],
  name: string,
  opts: { skip?: (comps: readonly string[]) => boolean; idMap?: IdMapping } = {},
): Promise<void> {
  const links = new Map<string, string>();
  const walk = async (c: readonly string[], entryName: string, st: Stats): Promise<void> => {
    const host = hostPathOf(view, c);
    // userns-remap: owners as the container sees them (moby archive with the daemon's IdentityMapping).
    const uid = opts.idMap ? containerUid(opts.idMap, st.uid) : st.uid;
    const gid = opts.idMap ? containerGid(opts.idMap, st.gid) : st.gid;
    const base = { uid, gid, mode: st.mode & 0o7777, mtime: st.mtime, uname: '', gname: '' };
    if (st.isDirectory()) {
      if (entryName !== '') await entry(pack, { ...base, name: entryName.endsWith('/') ? entryName : `${entryName}/`, type: 'directory' });
      const children = (await readdir(host)).sort();
      for (const child of children) {
        const cc = [...c, child];
        if (opts.skip?.(cc)) continue;
        const cst = await lstat(hostPathOf(view, cc)).catch(() => undefined);
        if (!cst) continue;
        const prefix = entryName === '' ? '' : entryName.endsWith('/') ? entryName : `${entryName}/`;
        await walk(cc, `${prefix}${child}`, cst);
      }
      return;
    }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first !== undefined) {
        await entry(pack, { ...base, name: entryName, type: 'link', linkname: first, size: 0 });
        return;
      }
      links.set(key, entryName);
    }
    if (st.isSymbolicLink()) await entry(pack, { ...base, name: entryName, type: 'symlink', linkname: await readlink(host) });
    else if (st.isFile()) await fileEntry(pack, { ...base, name: entryName, type: 'file', size: st.size }, host);
    else if (st.isFIFO()) await entry(pack, { ...base, name: entryName, type: 'fifo' });
    else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const rdev = BigInt(st.rdev);
      await entry(pack, {
        ...base,
        name: entryName,
        type: st.isCharacterDevice() ? 'character-device' : 'block-device',
        devmajor: Number((rdev >> 8n) & 0xfffn),
        devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n)),
      });
    }
  };
  const st = await lstat(hostPathOf(view, comps));
  await walk(comps, name, st);
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

function fileEntry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    pipeline(createReadStream(path), sink).catch(reject);
  });
}
