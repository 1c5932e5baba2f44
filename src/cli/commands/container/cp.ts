import { lstat, realpath, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage } from 'node:http';
import { ClientError } from '../../../client/client-error.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { splitPathDirEntry, tarLocalResource, untarLocal } from './cp-tar.js';

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const isDirMode = (m: number): boolean => Math.floor(m / GO_DIR) % 2 === 1;
const isLinkMode = (m: number): boolean => Math.floor(m / GO_SYMLINK) % 2 === 1;

export interface CpOptions {
  source: string;
  destination: string;
  archive: boolean;
  followLink: boolean;
}

/** `CONTAINER:PATH` → [container, path]; a local path (absolute, ./, or no colon) → ['', path]. */
function splitCpArg(arg: string): [string, string] {
  if (arg.startsWith('/') || arg.startsWith('.')) return ['', arg];
  const i = arg.indexOf(':');
  return i < 0 ? ['', arg] : [arg.slice(0, i), arg.slice(i + 1)];
}

function statOf(res: IncomingMessage): PathStat {
  const raw = res.headers['x-docker-container-path-stat'];
  const text = Buffer.from(Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? ''), 'base64').toString('utf8');
  return JSON.parse(text) as PathStat;
}

/** Docker's PreserveTrailingDotOrSeparator(Clean(p), p). */
function cleanKeepTrailing(p: string): string {
  let c = posix.normalize(p);
  if (c.length > 1 && c.endsWith('/')) c = c.slice(0, -1);
  if (posix.basename(p) === '.' && posix.basename(c) !== '.') c += c.endsWith('/') ? '.' : '/.';
  else if (p.endsWith('/') && !c.endsWith('/')) c += '/';
  return c;
}

async function fromContainer(ctx: CliContext, container: string, srcPath0: string, dstPath: string, followLink: boolean): Promise<void> {
  const api = ctx.client().transport;
  const path = `/containers/${encodeURIComponent(container)}/archive`;
  let srcPath = cleanKeepTrailing(srcPath0.startsWith('/') ? srcPath0 : `/${srcPath0}`);
  let rebaseName = '';
  if (followLink) {
    const head = await api.request('HEAD', path, { query: { path: srcPath } });
    head.resume();
    const st = statOf(head);
    if (isLinkMode(st.mode)) {
      let target = st.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(srcPath)[0], target);
      if (posix.basename(srcPath) !== posix.basename(target)) rebaseName = posix.basename(srcPath);
      srcPath = target;
    }
  }
  const res = await api.request('GET', path, { query: { path: srcPath } });
  if (dstPath === '-') {
    await pipeline(res, ctx.stdout, { end: false });
    return;
  }
  const st = statOf(res);
  const srcIsDir = isDirMode(st.mode);
  const dst = cleanKeepTrailing(dstPath);
  const dstSt = await stat(dst).catch(() => undefined);
  const [dstDir, dstBase] = splitPathDirEntry(dst);
  // Entries are named after the (followed) source; -L renames them after the link, then after the destination.
  const srcBase = splitPathDirEntry(srcPath)[1];
  if (dstSt?.isDirectory()) {
    await untarLocal(res, dst, rebaseName !== '' ? { from: splitPathDirEntry(srcPath)[1], to: rebaseName } : undefined);
    return;
  }
  if (dstSt && srcIsDir) throw new Error('cannot copy directory');
  if (!dstSt && !srcIsDir && (dst.endsWith('/') || posix.basename(dst) === '.')) {
    res.resume();
    throw new Error(`destination "${dstPath}" must be a directory`);
  }
  const parent = await stat(dstDir).catch(() => undefined);
  if (!parent) throw new Error(`no such directory`);
  if (!parent.isDirectory()) throw new Error('not a directory');
  await untarLocal(res, dstDir, { from: srcBase, to: dstBase });
}

async function toContainer(ctx: CliContext, container: string, srcPath: string, dstPath0: string, opts: { archive: boolean; followLink: boolean }): Promise<void> {
  const api = ctx.client().transport;
  const path = `/containers/${encodeURIComponent(container)}/archive`;
  let dstPath = cleanKeepTrailing(dstPath0.startsWith('/') ? dstPath0 : `/${dstPath0}`);
  // The destination's own symlink is followed, as docker does.
  let dstStat: PathStat | undefined;
  try {
    const head = await api.request('HEAD', path, { query: { path: dstPath } });
    head.resume();
    dstStat = statOf(head);
    if (isLinkMode(dstStat.mode)) {
      let target = dstStat.linkTarget;
      if (!target.startsWith('/')) target = posix.join(splitPathDirEntry(dstPath)[0], target);
      dstPath = target;
      const again = await api.request('HEAD', path, { query: { path: dstPath } });
      again.resume();
      dstStat = statOf(again);
    }
  } catch (err) {
    if (!(err instanceof ClientError && err.status === 404)) throw err;
    dstStat = undefined;
  }
  const query = { path: '', noOverwriteDirNonDir: true, copyUIDGID: opts.archive ? true : undefined };
  if (srcPath === '-') {
    if (!dstStat || !isDirMode(dstStat.mode)) throw new Error(`destination "${container}:${dstPath0}" must be a directory`);
    await api.call('PUT', path, { query: { ...query, path: dstPath }, body: ctx.stdin });
    return;
  }
  let src = cleanKeepTrailing(srcPath);
  let rebase = '';
  if (opts.followLink) {
    const real = await realpath(src);
    if (posix.basename(src) !== posix.basename(real) && posix.basename(src) !== '.') rebase = posix.basename(src);
    src = posix.basename(src) === '.' ? `${real}/.` : real;
  }
  const srcSt = await lstat(src.replace(/\/\.$/, '') || '/');
  const srcIsDir = srcSt.isDirectory();
  if (!srcIsDir && (srcPath.endsWith('/') || posix.basename(srcPath) === '.')) throw new Error(`lstat ${srcPath}: not a directory`);
  const [, srcBase0] = splitPathDirEntry(src);
  const srcBase = rebase !== '' ? rebase : srcBase0;
  const [dstDir, dstBase] = splitPathDirEntry(dstPath);
  let target: string;
  let entryBase: string;
  if (dstStat && isDirMode(dstStat.mode)) {
    target = dstPath;
    entryBase = srcBase;
  } else if (dstStat && srcIsDir) {
    throw new Error('cannot copy directory');
  } else if (!dstStat && !srcIsDir && (dstPath.endsWith('/') || posix.basename(dstPath) === '.')) {
    throw new Error(`destination "${container}:${dstPath0}" must be a directory`);
  } else {
    target = dstDir;
    entryBase = dstBase;
  }
  // A `/.` source packs entries as "./…", which land in an existing target directory itself.
  const body = tarLocalResource(src, entryBase);
  await api.call('PUT', path, { query: { ...query, path: target }, body });
}

export async function copyFiles(ctx: CliContext, opts: CpOptions): Promise<void> {
  const [srcContainer, srcPath] = splitCpArg(opts.source);
  const [dstContainer, dstPath] = splitCpArg(opts.destination);
  if (srcContainer !== '' && dstContainer !== '') throw new Error('copying between containers is not supported');
  if (srcContainer === '' && dstContainer === '') throw new Error('must specify at least one container source');
  if (srcPath === '') throw new Error('source can not be empty');
  if (dstPath === '') throw new Error('destination can not be empty');
  if (srcContainer !== '') await fromContainer(ctx, srcContainer, srcPath, dstPath, opts.followLink);
  else await toContainer(ctx, dstContainer, srcPath, dstPath, opts);
}

export const cpCommand: CommandSpec = {
  path: ['container', 'cp'],
  aliases: [['cp']],
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  args: { kind: 'exact', count: 2 },
  flags: [
    { long: 'archive', short: 'a', kind: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { long: 'follow-link', short: 'L', kind: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  async run(ctx, flags, args) {
    await copyFiles(ctx, { source: args[0] ?? '', destination: args[1] ?? '', archive: flags.bool('archive'), followLink: flags.bool('follow-link') });
    return 0;
  },
};
