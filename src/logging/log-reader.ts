import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { listLogFiles, type LogFileEntry } from './log-files.js';
import { parseJsonRecord, type LogRecord } from './log-record.js';

export interface ReadLogOptions {
  /** Which records count (stream choice and the since/until window); tail counts only these. */
  readonly accept: (r: LogRecord) => boolean;
  /** Last N accepted records of what is on disk; undefined for all. */
  readonly tail?: number;
  readonly follow: boolean;
  /** Nanoseconds since epoch; following stops at the first record at or after it. */
  readonly untilNs?: bigint;
  /** Following ends once this says the writer is finished (and what it wrote is read). */
  readonly finished: () => Promise<boolean>;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
}

/**
 * Reads a file driver's log across its rotated (and gzipped) files, oldest
 * first, then optionally follows the current file. Following holds the open
 * file: when the writer rotates (the path names a new inode) the old file is
 * read to its end before the new one is opened, so no record is skipped;
 * rotation renames, so an open descriptor keeps reading even after the
 * writer compressed and removed the file.
 */
export async function* readLogFiles(path: string, opts: ReadLogOptions): AsyncGenerator<LogRecord> {
  const files = await listLogFiles(path);
  const currentEntry = files.at(-1)?.path === path ? files.pop() : undefined;
  let fh: FileHandle | undefined = currentEntry ? await open(path, 'r').catch(() => undefined) : undefined;
  try {
    let offset = fh ? (await fh.stat()).size : 0;
    const sources: (() => Readable)[] = files.map((f) => () => fileStream(f));
    if (fh) {
      const held = fh;
      const end = offset;
      sources.push(() => held.createReadStream({ start: 0, end: Math.max(end - 1, 0), autoClose: false, emitClose: false }));
      if (end === 0) sources.pop();
    }
    if (opts.tail === undefined) {
      for (const src of sources) for await (const r of recordsOf(src(), opts.accept)) yield r;
    } else if (opts.tail > 0) {
      yield* tailOf(sources, opts.tail, opts.accept);
    }
    if (!opts.follow) return;
    if (opts.untilNs !== undefined && BigInt(Date.now()) * 1_000_000n >= opts.untilNs) return;

    let pending = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(256 * 1024);
    let finishing = false;
    let draining = false;
    for (;;) {
      if (opts.signal?.aborted) return;
      if (!fh) {
        fh = await open(path, 'r').catch(() => undefined);
        offset = 0;
      }
      let got = 0;
      if (fh) {
        const { bytesRead } = await fh.read(chunk, 0, chunk.length, offset);
        got = bytesRead;
      }
      if (got > 0) {
        offset += got;
        pending = pending.length > 0 ? Buffer.concat([pending, chunk.subarray(0, got)]) : Buffer.from(chunk.subarray(0, got));
        let start = 0;
        for (let nl = pending.indexOf(10, start); nl >= 0; nl = pending.indexOf(10, start)) {
          const rec = parseJsonRecord(pending.toString('utf8', start, nl));
          start = nl + 1;
          if (!rec) continue;
          if (opts.untilNs !== undefined && rec.timeNs >= opts.untilNs) return;
          if (opts.accept(rec)) yield rec;
        }
        pending = pending.subarray(start);
        continue;
      }
      // At the end of the file we hold: has the writer moved on to a new one?
      if (fh) {
        if (draining) {
          // The old file was read to its end after the rename: nothing more comes to it.
          await fh.close();
          fh = undefined;
          draining = false;
          pending = Buffer.alloc(0);
          continue;
        }
        const now = await stat(path).catch(() => undefined);
        const held = await fh.stat();
        if (now && now.ino !== held.ino) {
          draining = true;
          continue;
        }
      }
      if (finishing) return;
      if (await opts.finished()) {
        finishing = true; // one more look: the writer may have written between our read and its end
        continue;
      }
      await sleep(opts.pollMs ?? 100, opts.signal);
    }
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function fileStream(f: LogFileEntry): Readable {
  const raw = createReadStream(f.path);
  if (!f.gzip) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

async function* recordsOf(src: Readable, accept: (r: LogRecord) => boolean): AsyncGenerator<LogRecord> {
  let pending = Buffer.alloc(0);
  try {
    for await (const c of src) {
      const buf = pending.length > 0 ? Buffer.concat([pending, c as Buffer]) : (c as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        const rec = parseJsonRecord(buf.toString('utf8', start, nl));
        start = nl + 1;
        if (rec && accept(rec)) yield rec;
      }
      pending = Buffer.from(buf.subarray(start));
    }
  } catch (err) {
    // A rotated file removed (or compressed) under us: what was read stands.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  } finally {
    src.destroy();
  }
}

/** The last n accepted records, reading the newest file first and older ones only while n is not reached. */
async function* tailOf(sources: (() => Readable)[], n: number, accept: (r: LogRecord) => boolean): AsyncGenerator<LogRecord> {
  const picked: LogRecord[][] = [];
  let count = 0;
  for (let i = sources.length - 1; i >= 0 && count < n; i--) {
    const src = sources[i];
    if (!src) continue;
    const ring: LogRecord[] = [];
    for await (const r of recordsOf(src(), accept)) {
      ring.push(r);
      if (ring.length > n - count) ring.shift();
    }
    picked.unshift(ring);
    count += ring.length;
  }
  for (const group of picked) yield* group;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
