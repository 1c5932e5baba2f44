import { closeSync, constants as fs, fstatSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync, ftruncateSync } from 'node:fs';
import { conflict } from '../errors/engine-error.js';
import { flock, LOCK_EX, LOCK_NB } from './syscalls.js';

/** What an owner record says about the daemon holding it (written into the lock file, read by the refused one). */
export interface OwnerFacts {
  readonly pid: number;
  readonly dataRoot: string;
  readonly hosts: readonly string[];
}

/**
 * A host resource held by one running daemon: a file whose flock(2) is the
 * ownership and whose content names the owner. The kernel drops the lock
 * when its holder dies, so a SIGKILLed owner never blocks the next daemon;
 * the file it leaves is stale text the next owner overwrites.
 * Lifecycle: acquireOwnerLock() → release() (unlinks the file, then lets go).
 */
export interface OwnerLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes `path`'s lock without waiting, or throws a conflict naming the
 * holder (`what` describes the resource, e.g. "data root /var/lib/berth").
 * A file unlinked by its releasing owner between our open and our flock is
 * noticed (its inode no longer is the path's) and opened again.
 */
export function acquireOwnerLock(path: string, what: string, facts: OwnerFacts): OwnerLock {
  mkdirSync(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true, mode: 0o755 });
  for (let attempt = 0; ; attempt++) {
    const fd = openSync(path, fs.O_RDWR | fs.O_CREAT, 0o644);
    try {
      if (!flock(fd, LOCK_EX | LOCK_NB, path)) throw conflict(`${what} is in use by another berthd (${describeHolder(path)})`);
      if (!sameFile(fd, path) && attempt < 10) {
        closeSync(fd);
        continue;
      }
      ftruncateSync(fd, 0);
      writeSync(fd, `${JSON.stringify({ ...facts, since: new Date().toISOString() })}\n`, 0);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return {
      path,
      release: () => {
        // Unlinked while still locked: a daemon that opened it meanwhile sees a stale inode and opens again.
        if (sameFile(fd, path)) unlinkSync(path);
        closeSync(fd);
      },
    };
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}

function describeHolder(path: string): string {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as Partial<OwnerFacts>;
    return `pid ${f.pid ?? '?'}, data root ${f.dataRoot ?? '?'}${f.hosts && f.hosts.length > 0 ? `, listening on ${f.hosts.join(' ')}` : ''}`;
  } catch {
    return `see ${path}`;
  }
}
