import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink, realpath, rm, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DockerIgnore } from '../dockerfile/dockerignore.js';
import type { ContentHashes } from './context-reader.js';

export type { ContentHashes } from './context-reader.js';

/** A build failure shown to the client as-is in the JSON stream. */
export class BuildError extends Error {
  constructor(
    message: string,
    /** Exit code the docker CLI exits with (a RUN's exit status), 0 for none. */
    readonly code = 0,
  ) {
    super(message);
  }
}

/** Reads `.dockerignore` of an unpacked context (empty matcher when absent). */
export async function readDockerIgnore(dir: string): Promise<DockerIgnore> {
  const text = await readFile(join(dir, '.dockerignore'), 'utf8').catch(() => '');
  return new DockerIgnore(text);
}

/** Deletes what `.dockerignore` excludes (the daemon's second line of defence after the CLI). */
export async function applyDockerIgnore(dir: string, ignore: DockerIgnore, keep: readonly string[]): Promise<void> {
  if (ignore.empty) return;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(dir, rel))) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const abs = join(dir, r);
      const st = await lstat(abs);
      if (ignore.ignores(r) && !keep.includes(r)) {
        if (st.isDirectory() && ignore.hasExclusions()) {
          await walk(r);
          if ((await readdir(abs)).length === 0) await rm(abs, { recursive: true, force: true });
          continue;
        }
        await rm(abs, { recursive: true, force: true });
        continue;
      }
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
}

/** One COPY/ADD source resolved inside the context. */
export interface ContextSource {
  /** The path as matched, relative to the context root. */
  readonly rel: string;
  /** Real path on disk (symlinks resolved inside the context). */
  readonly abs: string;
  readonly isDir: boolean;
  /** ADD <url>: a downloaded file, never extracted. */
  readonly download?: boolean;
}

/**
 * Resolves COPY/ADD sources in the context with Docker's rules: paths are
 * relative to the context root, `..` may not leave it, symlinks are followed
 * as if the context were `/`, wildcards match with filepath.Match semantics.
 */
export async function resolveContextSources(contextDir: string, raw: readonly string[], cmd: string): Promise<ContextSource[]> {
  const out: ContextSource[] = [];
  for (const src of raw) {
    const cleaned = posix.normalize(`/${src}`);
    const rel = posix.normalize(src.replace(/^\/+/, '')).replace(/\/+$/, '');
    if (rel === '..' || rel.startsWith('../')) throw new BuildError(`${cmd} failed: forbidden path outside the build context: ${src} ()`);
    if (/[*?[]/.test(rel)) {
      const re = globToRegExp(rel);
      const matches = (await listContext(contextDir)).filter((p) => re.test(p));
      for (const m of matches) out.push(await resolveOne(contextDir, m, m, cmd));
      continue;
    }
    out.push(await resolveOne(contextDir, cleaned.slice(1) || '.', src, cmd));
  }
  if (out.length === 0) throw new BuildError(`${cmd} failed: no source files were specified`);
  return out;
}

async function resolveOne(contextDir: string, rel: string, orig: string, cmd: string): Promise<ContextSource> {
  const abs = await resolveScoped(contextDir, rel === '.' ? '' : rel);
  const st = await lstat(abs).catch(() => undefined);
  if (!st) throw new BuildError(`${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${orig.replace(/^\/+/, '')}: file does not exist`);
  const real = await realpath(abs);
  const ctxReal = await realpath(contextDir);
  if (real !== ctxReal && !real.startsWith(`${ctxReal}/`)) throw new BuildError(`${cmd} failed: forbidden path outside the build context: ${orig} ()`);
  return { rel, abs, isDir: st.isDirectory() };
}

/** Follows symlinks with `root` as `/` (Docker's FollowSymlinkInScope); the result is always under root. */
export async function resolveScoped(root: string, rel: string): Promise<string> {
  const todo = rel.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '..') {
      done.pop();
      continue;
    }
    const p = join(root, ...done, c);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new BuildError(`too many links resolving ${rel}`);
      const target = await readlink(p);
      if (target.startsWith('/')) done.length = 0;
      todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    done.push(c);
  }
  return join(root, ...done);
}

async function listContext(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const n of names) {
      const r = rel === '' ? n : `${rel}/${n}`;
      out.push(r);
      const st = await lstat(join(dir, r));
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

function globToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i] as string}`;
    else re += /[.+^${}()|\]\\/]/.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`${re}$`);
}

/**
 * Content-and-metadata hash of COPY sources, as Docker's classic builder
 * names them in history: `file:<hex>` for one file, `dir:<hex>` for one
 * directory, `multi:<hex>` for several. Covers names, modes, sizes, link
 * targets and bytes; not mtimes or owners (Docker's tarsum leaves them out too).
 */
export async function hashSources(sources: readonly ContextSource[], known?: ContentHashes): Promise<string> {
  const parts: string[] = [];
  for (const s of sources) parts.push(await hashTree(s.abs, known));
  if (sources.length === 1) return `${sources[0]?.isDir ? 'dir' : 'file'}:${parts[0] as string}`;
  return `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
}

async function hashTree(abs: string, known: ContentHashes | undefined): Promise<string> {
  const h = createHash('sha256');
  const visit = async (p: string, rel: string, follow: boolean): Promise<void> => {
    const st = follow ? await stat(p) : await lstat(p);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) {
      h.update(`L${await readlink(p)}\0`);
    } else if (st.isDirectory()) {
      h.update('D\0');
      for (const n of (await readdir(p)).sort()) await visit(join(p, n), `${rel}/${n}`, false);
    } else if (st.isFile()) {
      h.update(`F${st.size}\0`);
      const cached = known?.get(p);
      if (cached !== undefined) {
        h.update(cached);
        return;
      }
      const fileHash = createHash('sha256');
      await pipeline(createReadStream(p), async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) fileHash.update(chunk);
      });
      h.update(fileHash.digest('hex'));
    }
  };
  await visit(abs, '', true);
  return h.digest('hex');
}

