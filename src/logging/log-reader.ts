import { closeSync, fstatSync, openSync, read, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { promisify } from 'node:util';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { orderLogFiles, type LogFileEntry } from './log-files.js';
import { parseJsonRecord, type LogRecord } from './log-record.js';

const AHEAD_MAX = 64;

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

/** One log file, opened: renames by the writer's rotation do not move it under us. */
interface OpenFile {
  readonly fd: number;
  readonly gzip: boolean;
  readonly ino: number;
  /** Bytes at opening (what a non-following read takes of a growing file). */
  readonly size: number;
}

const readAt = promisify(read);
const closeFile = (f: OpenFile): void => {
  try {
    closeSync(f.fd);
  } catch {
    // already closed
  }
};
const liveIno = (path: string): number | undefined => {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
};

/**
 * Opens a driver's files, oldest first (the live file last, if it exists).
 * Names move while the writer rotates: a listing is kept only if the live
 * file stayed the same inode from before the listing until after the last
 * open, so every name was opened between the same two rotations. Done with
 * synchronous calls (a readdir and a few opens, microseconds): a writer
 * rotating every few milliseconds would outrun thread-pool round trips.
 */
function openFiles(path: string): OpenFile[] {
  let out: OpenFile[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    for (const f of out) closeFile(f);
    out = [];
    const before = liveIno(path);
    for (const f of listLogFilesSync(path)) {
      let fd: number;
      try {
        fd = openSync(f.path, 'r');
      } catch {
        continue; // rotated away between listing and opening
      }
      const st = fstatSync(fd);
      out.push({ fd, gzip: f.gzip, ino: st.ino, size: st.size });
    }
    const after = liveIno(path);
    if (before === after && (after === undefined || out.at(-1)?.ino === after)) break;
  }
  return out;
}

function listLogFilesSync(path: string): LogFileEntry[] {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    names = [];
  }
  return orderLogFiles(path, names);
}

/**
 * Reads a file driver's log across its rotated (and gzipped) files, oldest
 * first, then optionally follows. All files are opened before reading, so a
 * rotation meanwhile neither hides nor repeats records. Following holds the
 * live file open; once the writer has rotated it (the path names another
 * inode) it is read to its end, and the reader goes on with the file that
 * followed it — found by inode among the rotated ones, so a follower that
 * lags several rotations behind still misses nothing, unless the writer
 * already compressed or dropped those files (then it resumes at the live one).
 */
export async function* readLogFiles(path: string, opts: ReadLogOptions): AsyncGenerator<LogRecord> {
  let files = openFiles(path);
  try {
    const last = files.at(-1);
    const liveFile = last && !last.gzip && liveIno(path) === last.ino ? last : undefined;
    // The time of the last record read and how many had it: where to resume when we lost track of the files.
    let lastNs = -1n;
    let lastCount = 0;
    let skipping = false;
    let skipCount = 0;
    const fresh = (r: LogRecord): boolean => {
      if (skipping) {
        if (r.timeNs < lastNs) return false;
        if (r.timeNs === lastNs && skipCount < lastCount) {
          skipCount++;
          return false;
        }
        skipping = false;
        skipCount = 0;
      }
      if (r.timeNs === lastNs) lastCount++;
      else {
        lastNs = r.timeNs;
        lastCount = 1;
      }
      return true;
    };
    const sources = files.filter((f) => f.size > 0).map((f) => () => fileStream(f, f.size));
    if (opts.tail === undefined) {
      for (const src of sources) for await (const r of recordsOf(src(), opts.accept)) if (fresh(r)) yield r;
    } else if (opts.tail > 0) {
      for await (const r of tailOf(sources, opts.tail, opts.accept)) if (fresh(r)) yield r;
    }
    for (const f of files) if (f !== liveFile) closeFile(f);
    files = [];
    if (!opts.follow) return;
    if (opts.untilNs !== undefined && BigInt(Date.now()) * 1_000_000n >= opts.untilNs) return;

    // inotify on the directory wakes an idle follower at once (writes and rotations); the poll is the fallback.
    let wake: (() => void) | undefined;
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(path), { persistent: false }, () => {
        refreshNow();
        wake?.();
      });
      watcher.on('error', () => undefined);
    } catch {
      watcher = undefined;
    }
    const idle = (): Promise<void> =>
      new Promise<void>((resolve) => {
        wake = resolve;
        void sleep(opts.pollMs ?? 100, opts.signal).then(resolve);
      }).finally(() => (wake = undefined));
    let held: OpenFile | undefined = liveFile;
    let offset = liveFile?.size ?? 0;
    // Files newer than `held`, opened as soon as a rotation is seen: the writer may drop them later, an open one stays readable.
    const ahead: OpenFile[] = [];
    const refresh = (): void => {
      const cur = liveIno(path);
      const newest = ahead.at(-1) ?? held;
      if (cur === undefined || cur === newest?.ino) return;
      const listing = openFiles(path);
      const at = newest ? listing.findIndex((f) => !f.gzip && f.ino === newest.ino) : -1;
      // Not found: the newest file we hold was compressed or dropped meanwhile (we lag); take all there is and skip what we saw.
      const newer = at >= 0 || !newest ? listing.slice(at + 1) : listing;
      if (at < 0 && newest) skipping = true;
      for (const f of listing) if (!newer.includes(f)) closeFile(f);
      ahead.push(...newer);
      // A reader far behind keeps at most AHEAD_MAX files (and their disk space) alive; past that it loses the oldest.
      while (ahead.length > AHEAD_MAX) {
        const dropped = ahead.shift();
        if (dropped) closeFile(dropped);
      }
    };
    // Run from the watcher too: while a slow client holds the generator, rotations still get their files opened.
    const refreshNow = (): void => {
      try {
        refresh();
      } catch {
        // a file vanished mid-listing: the next event or read tries again
      }
    };
    let pending = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(256 * 1024);
    let finishing = false;
    let draining = false;
    const take = function* (buf: Buffer): Generator<LogRecord | 'until'> {
      pending = pending.length > 0 ? Buffer.concat([pending, buf]) : Buffer.from(buf);
      let start = 0;
      for (let nl = pending.indexOf(10, start); nl >= 0; nl = pending.indexOf(10, start)) {
        const rec = parseJsonRecord(pending.toString('utf8', start, nl));
        start = nl + 1;
        if (!rec || !fresh(rec)) continue;
        if (opts.untilNs !== undefined && rec.timeNs >= opts.untilNs) return yield 'until';
        if (opts.accept(rec)) yield rec;
      }
      pending = pending.subarray(start);
    };
    try {
      for (;;) {
        if (opts.signal?.aborted) return;
        if (!held) {
          if (ahead.length === 0) refreshNow();
          held = ahead.shift();
          offset = 0;
          pending = Buffer.alloc(0);
          if (held?.gzip) {
            // Already compressed: complete, read it whole.
            for await (const r of recordsOf(fileStream(held), fresh)) {
              if (opts.untilNs !== undefined && r.timeNs >= opts.untilNs) return;
              if (opts.accept(r)) yield r;
            }
            closeFile(held);
            held = undefined;
            continue;
          }
        }
        const got = held ? (await readAt(held.fd, chunk, 0, chunk.length, offset)).bytesRead : 0;
        if (got > 0) {
          offset += got;
          for (const r of take(chunk.subarray(0, got))) {
            if (r === 'until') return;
            yield r;
          }
          refreshNow();
          continue;
        }
        refreshNow();
        if (held && ahead.length > 0) {
          // Rotated: bytes written before the rename may have come after our last read; read once more.
          if (!draining) {
            draining = true;
            continue;
          }
          draining = false;
          closeFile(held);
          held = undefined;
          continue;
        }
        if (!held && ahead.length > 0) continue;
        if (finishing) return;
        if (await opts.finished()) {
          finishing = true; // one more look: the writer may have written between our read and its end
          continue;
        }
        await idle();
      }
    } finally {
      watcher?.close();
      if (held) closeFile(held);
      for (const f of ahead) closeFile(f);
    }
  } finally {
    for (const f of files) closeFile(f);
  }
}

function fileStream(f: OpenFile, size?: number): Readable {
  // Not fs.createReadStream({ fd }): it closes the descriptor when destroyed, even with autoClose: false.
  const raw = Readable.from(chunksOf(f.fd, size ?? Number.MAX_SAFE_INTEGER));
  if (!f.gzip) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

async function* chunksOf(fd: number, end: number): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < end; ) {
    const buf = Buffer.allocUnsafe(Math.min(256 * 1024, end - pos));
    const { bytesRead } = await readAt(fd, buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
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
    // A ring of the last `want` records of this file.
    const want = n - count;
    const ring: LogRecord[] = [];
    let next = 0;
    for await (const r of recordsOf(src(), accept)) {
      if (ring.length < want) ring.push(r);
      else ring[next] = r;
      next = (next + 1) % want;
    }
    const ordered = ring.length < want ? ring : [...ring.slice(next), ...ring.slice(0, next)];
    picked.unshift(ordered);
    count += ordered.length;
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
