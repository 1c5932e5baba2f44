import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface LogFileEntry {
  readonly path: string;
  readonly gzip: boolean;
}

/**
 * A file driver's files, oldest first: `path.N[.gz]` … `path.1[.gz]`, then
 * `path`. While the writer compresses `.N` into `.N.gz` both can exist for
 * a moment; the uncompressed one is complete and wins.
 */
export async function listLogFiles(path: string): Promise<LogFileEntry[]> {
  return orderLogFiles(path, await readdir(dirname(path)).catch(() => [] as string[]));
}

/** The same, from a directory listing already read. */
export function orderLogFiles(path: string, names: readonly string[]): LogFileEntry[] {
  const dir = dirname(path);
  const base = basename(path);
  const rotated = new Map<number, LogFileEntry>();
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const m = /^(\d+)(\.gz)?$/.exec(name.slice(base.length + 1));
    if (!m?.[1]) continue;
    const n = Number(m[1]);
    const gzip = m[2] !== undefined;
    const have = rotated.get(n);
    if (have && !have.gzip) continue;
    rotated.set(n, { path: join(dir, name), gzip });
  }
  const ordered = [...rotated.entries()].sort((a, b) => b[0] - a[0]).map(([, e]) => e);
  if (names.includes(base)) ordered.push({ path, gzip: false });
  return ordered;
}
