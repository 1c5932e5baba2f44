import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { invalidArgument, notFound } from '../errors/engine-error.js';
import { Sha256Digester, digestHex } from '../lib/digest.js';
import { fsyncDir } from '../lib/atomic-write.js';
import type { BlobInfo, ContentStore } from './content-store.js';

/**
 * ContentStore on the file system: `<root>/blobs/sha256/<hex>`, ingests in
 * `<root>/ingest/<random>`. A blob is renamed into place only after it was
 * fsynced and its size and digest checked.
 */
export class FileContentStore implements ContentStore {
  private readonly blobDir: string;
  private readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  /** Creates the directories and sweeps temp files of interrupted ingests. */
  static async open(root: string): Promise<FileContentStore> {
    const store = new FileContentStore(root);
    await rm(store.ingestDir, { recursive: true, force: true });
    await mkdir(store.ingestDir, { recursive: true });
    await mkdir(store.blobDir, { recursive: true });
    return store;
  }

  pathOf(digest: string): string {
    return join(this.blobDir, digestHex(digest));
  }

  async info(digest: string): Promise<BlobInfo | undefined> {
    try {
      const st = await stat(this.pathOf(digest));
      return { digest, size: st.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  readStream(digest: string): Readable {
    const path = this.pathOf(digest);
    async function* chunks(): AsyncGenerator<Buffer> {
      try {
        // 1 MiB reads: each read is a thread-pool job, and 64 KiB ones queue behind every gzip job of a push
        yield* createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found`);
        throw err;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async readBytes(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`blob ${digest} not found`);
      throw err;
    }
  }

  async ingest(source: Readable | Buffer, expected: { digest?: string; size?: number } = {}): Promise<BlobInfo> {
    if (expected.digest !== undefined) digestHex(expected.digest);
    await mkdir(this.ingestDir, { recursive: true });
    await mkdir(this.blobDir, { recursive: true });
    const tmp = join(this.ingestDir, randomBytes(12).toString('hex'));
    const fh = await open(tmp, 'wx', 0o644);
    let published = false;
    try {
      const digester = new Sha256Digester();
      try {
        const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(source) ? [source] : (source as AsyncIterable<Buffer>);
        for await (const chunk of chunks) {
          digester.update(chunk);
          if (expected.size !== undefined && digester.size > expected.size) {
            throw invalidArgument(`blob size mismatch: expected ${expected.size} bytes, got more`);
          }
          await fh.write(chunk);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      const digest = digester.digest();
      if (expected.size !== undefined && digester.size !== expected.size) {
        throw invalidArgument(`blob size mismatch: expected ${expected.size} bytes, got ${digester.size}`);
      }
      if (expected.digest !== undefined && digest !== expected.digest) {
        throw invalidArgument(`blob digest mismatch: expected ${expected.digest}, got ${digest}`);
      }
      await rename(tmp, this.pathOf(digest));
      published = true;
      await fsyncDir(this.blobDir);
      return { digest, size: digester.size };
    } finally {
      if (!published) await rm(tmp, { force: true });
      if (!Buffer.isBuffer(source) && !published) source.destroy();
    }
  }

  async delete(digest: string): Promise<void> {
    await rm(this.pathOf(digest), { force: true });
  }

  /** Digests of all published blobs (for garbage collection and tests). */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.blobDir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
