import type { Stats } from 'node:fs';
import {
  chmodSync, closeSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeSync,
} from 'node:fs';
import { chmod, link, lchown, lstat, lutimes, mkdir, open, readlink, rm, symlink, utimes } from 'node:fs/promises';

/** A file being written by the layer extractor. */
export interface LayerFileSink {
  write(chunk: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system calls the layer extractor makes, as one object so it can
 * run them on libuv's pool (the daemon's main thread, which must not block)
 * or directly (in a worker thread, where one syscall needs no thread-pool
 * round trip: a layer of small files was ~7 round trips per file).
 */
export interface LayerFs {
  lstat(path: string): Promise<Stats>;
  mkdir(path: string, mode: number): Promise<void>;
  rm(path: string): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  link(existing: string, path: string): Promise<void>;
  readlink(path: string): Promise<string>;
  lchown(path: string, uid: number, gid: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
  lutimes(path: string, atime: Date, mtime: Date): Promise<void>;
  /** Creates `path` exclusively (O_EXCL) for writing. */
  createFile(path: string, mode: number): Promise<LayerFileSink>;
}

export const asyncLayerFs: LayerFs = {
  lstat: (p) => lstat(p),
  mkdir: async (p, mode) => void (await mkdir(p, { mode })),
  rm: (p) => rm(p, { recursive: true, force: true }),
  symlink: (t, p) => symlink(t, p),
  link: (e, p) => link(e, p),
  readlink: (p) => readlink(p),
  lchown: (p, u, g) => lchown(p, u, g),
  chmod: (p, m) => chmod(p, m),
  utimes: (p, a, m) => utimes(p, a, m),
  lutimes: (p, a, m) => lutimes(p, a, m),
  createFile: async (p, mode) => {
    const fh = await open(p, 'wx', mode);
    return {
      write: async (chunk) => void (await fh.write(chunk)),
      close: () => fh.close(),
    };
  },
};

/** Blocking calls: only for a worker thread (layer-apply-worker.ts). */
export const syncLayerFs: LayerFs = {
  lstat: async (p) => lstatSync(p),
  mkdir: async (p, mode) => void mkdirSync(p, { mode }),
  rm: async (p) => rmSync(p, { recursive: true, force: true }),
  symlink: async (t, p) => symlinkSync(t, p),
  link: async (e, p) => linkSync(e, p),
  readlink: async (p) => readlinkSync(p),
  lchown: async (p, u, g) => lchownSync(p, u, g),
  chmod: async (p, m) => chmodSync(p, m),
  utimes: async (p, a, m) => utimesSync(p, a, m),
  lutimes: async (p, a, m) => lutimesSync(p, a, m),
  createFile: async (p, mode) => {
    const fd = openSync(p, 'wx', mode);
    return {
      write: async (chunk) => {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
      },
      close: async () => closeSync(fd),
    };
  },
};
