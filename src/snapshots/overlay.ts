import { lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { digestHex } from '../lib/digest.js';
import { fsyncDir } from '../lib/atomic-write.js';
import type { MountDescription, Snapshotter } from './snapshotter.js';

/**
 * Overlay snapshotter: each layer is unpacked (with overlay whiteouts) into
 * `<root>/<chainIdHex>/fs`; a container rootfs is one overlay mount whose
 * lowerdirs are those layer dirs, top-most first. Temp unpack dirs are
 * `<root>/.tmp-*` and are swept by `open`.
 */
export class OverlaySnapshotter implements Snapshotter {
  constructor(readonly root: string) {}

  static async open(root: string): Promise<OverlaySnapshotter> {
    await mkdir(root, { recursive: true });
    for (const name of await readdir(root)) {
      if (name.startsWith('.tmp-')) await rm(join(root, name), { recursive: true, force: true });
    }
    return new OverlaySnapshotter(root);
  }

  layerDir(chainId: string): string {
    return join(this.root, digestHex(chainId), 'fs');
  }

  async hasLayer(chainId: string): Promise<boolean> {
    try {
      return (await stat(this.layerDir(chainId))).isDirectory();
    } catch {
      return false;
    }
  }

  async commitLayer(chainId: string, apply: (dir: string) => Promise<void>): Promise<{ size: number }> {
    const target = join(this.root, digestHex(chainId));
    await mkdir(this.root, { recursive: true });
    const tmp = join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
    await mkdir(join(tmp, 'fs'), { recursive: true, mode: 0o755 });
    try {
      await apply(join(tmp, 'fs'));
      const size = await diskUsage(join(tmp, 'fs'));
      try {
        await rename(tmp, target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Another ingest of the same chain id won the race; its content is identical.
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        await rm(tmp, { recursive: true, force: true });
      }
      await fsyncDir(this.root);
      return { size };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async removeLayer(chainId: string): Promise<void> {
    const dir = join(this.root, digestHex(chainId));
    const doomed = join(this.root, `.tmp-rm-${randomBytes(8).toString('hex')}`);
    try {
      await rename(dir, doomed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(doomed, { recursive: true, force: true });
  }

  async listLayers(): Promise<string[]> {
    return (await readdir(this.root)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  async prepareWritable(rwDir: string, chainIds: readonly string[]): Promise<MountDescription[]> {
    const upper = join(rwDir, 'upper');
    const work = join(rwDir, 'work');
    await mkdir(upper, { recursive: true, mode: 0o755 });
    await mkdir(work, { recursive: true, mode: 0o700 });
    const lowers = [...chainIds].reverse().map((id) => this.layerDir(id));
    if (lowers.length === 0) {
      // overlay needs at least one lowerdir; an image without layers gets an empty one.
      const empty = join(rwDir, 'empty');
      await mkdir(empty, { recursive: true, mode: 0o755 });
      lowers.push(empty);
    }
    return [
      {
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${lowers.join(':')}`, `upperdir=${upper}`, `workdir=${work}`],
      },
    ];
  }

  async removeWritable(rwDir: string): Promise<void> {
    await rm(join(rwDir, 'upper'), { recursive: true, force: true });
    await rm(join(rwDir, 'work'), { recursive: true, force: true });
    await rm(join(rwDir, 'empty'), { recursive: true, force: true });
  }
}

/** Bytes of regular files and symlinks under `dir`, each inode counted once. */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const ent of await readdir(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) {
        await walk(p);
        continue;
      }
      if (!ent.isFile() && !ent.isSymbolicLink()) continue;
      const st = await lstat(p);
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
