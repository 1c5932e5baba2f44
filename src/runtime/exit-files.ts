import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/*
 * conmon records a container's exit by writing its decimal exit code
 * (128+signal when killed) to `<exitDir>/<id>`. It writes through a temp
 * file `<id>.XXXXXX` (g_file_set_contents) that is renamed into place, but a
 * reader can still meet an empty file for a moment, so reads retry.
 */

// glib's temp name for g_file_set_contents: "<name>.XXXXXX".
const isTempName = (name: string): boolean => name.startsWith('.') || /\.[A-Za-z0-9]{6}$/.test(name);

const parseCode = (text: string): number | undefined => {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
};

/**
 * The exit code recorded for `id`, or undefined when there is no exit file
 * (the container has not exited, or its file was removed). An exit file that
 * stays empty or unparsable for `settleMs` also gives undefined.
 */
export async function readExitCode(exitDir: string, id: string, opts: { settleMs?: number } = {}): Promise<number | undefined> {
  const deadline = Date.now() + (opts.settleMs ?? 1000);
  const file = join(exitDir, id);
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const code = parseCode(text);
    if (code !== undefined) return code;
    if (Date.now() >= deadline) return undefined;
    await sleep(delay);
  }
}

/** Removes `<exitDir>/<id>` (before a restart, or when the container is deleted). Missing is fine. */
export async function removeExitFile(exitDir: string, id: string): Promise<void> {
  await rm(join(exitDir, id), { force: true });
}

export interface ExitWatchOptions {
  /** Interval of the directory scan that catches what fs.watch missed. Default 2000 ms. */
  readonly pollMs?: number;
  /** Non-fatal problems (watch failed, unreadable file). */
  readonly onError?: (err: unknown) => void;
}

/**
 * Calls `onExit(id, code)` once for every exit file in `exitDir`, including
 * those present when the watch starts. A file is reported again only if it is
 * replaced (new inode or mtime), as happens when a container is restarted.
 * Creates `exitDir` if needed. Events come from fs.watch, backed by a slow
 * poll because inotify can drop events (overflow, rename races).
 */
export function watchExitDir(exitDir: string, onExit: (id: string, code: number) => void, opts: ExitWatchOptions = {}): { close(): void } {
  mkdirSync(exitDir, { recursive: true, mode: 0o700 });
  const onError = opts.onError ?? ((): void => {});
  /** id → "ino:mtimeNs" of the file already reported. */
  const reported = new Map<string, string>();
  const inFlight = new Set<string>();
  let closed = false;

  const check = async (id: string): Promise<void> => {
    if (closed || isTempName(id) || inFlight.has(id)) return;
    inFlight.add(id);
    try {
      let st;
      try {
        st = await stat(join(exitDir, id), { bigint: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') reported.delete(id);
        else onError(err);
        return;
      }
      if (!st.isFile() || reported.get(id) === `${st.ino}:${st.mtimeNs}`) return;
      const code = await readExitCode(exitDir, id);
      if (code === undefined || closed) return;
      // The key is taken after the code was read: a writer that created the file empty has finished by now.
      const after = await stat(join(exitDir, id), { bigint: true });
      const key = `${after.ino}:${after.mtimeNs}`;
      if (reported.get(id) === key) return;
      reported.set(id, key);
      onExit(id, code);
    } catch (err) {
      onError(err);
    } finally {
      inFlight.delete(id);
    }
  };

  const scan = async (): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(exitDir);
    } catch (err) {
      onError(err);
      return;
    }
    const present = new Set(names);
    for (const id of reported.keys()) if (!present.has(id)) reported.delete(id);
    await Promise.all(names.map(check));
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(exitDir, { persistent: true }, (_event, filename) => {
      if (filename) void check(filename.toString());
      else void scan();
    });
    watcher.on('error', (err) => {
      onError(err);
      watcher?.close();
      watcher = undefined;
    });
  } catch (err) {
    onError(err);
  }
  const timer = setInterval(() => void scan(), opts.pollMs ?? 2000);
  void scan();

  return {
    close(): void {
      closed = true;
      clearInterval(timer);
      watcher?.close();
    },
  };
}
