import { lstat, readFile, readlink } from 'node:fs/promises';
import { internal, invalidArgument } from '../../errors/engine-error.js';

/** The process identity written to the OCI spec's `process.user`. */
export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** Primary gid first, then the user's supplementary groups, then `groupAdd` (moby's getUser order). */
  readonly additionalGids: number[];
}

const maxId = 2 ** 31 - 1;

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

const parseId = (s: string): number | undefined => (/^\d+$/.test(s) ? Number(s) : undefined);

const entries = (text: string | undefined): string[][] =>
  (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of entries(text)) {
    const uid = parseId(f[2] ?? '');
    const gid = parseId(f[3] ?? '');
    if (f[0] !== undefined && uid !== undefined && gid !== undefined) out.push({ name: f[0], uid, gid });
  }
  return out;
}

function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of entries(text)) {
    const gid = parseId(f[2] ?? '');
    if (f[0] === undefined || gid === undefined) continue;
    out.push({ name: f[0], gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

/**
 * Resolves `path` (absolute, as seen inside the container) against `root`
 * the way the container would see it: symlinks, absolute or relative, and
 * `..` never leave `root`. Missing components are kept as they are (the
 * caller's read then fails with ENOENT). Assumes nobody rewrites the rootfs
 * concurrently (it is not running yet when a spec is built).
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const todo = path.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const comp = todo.shift() as string;
    if (comp === '..') {
      done.pop();
      continue;
    }
    const candidate = `${root}/${[...done, comp].join('/')}`;
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch {
      // Missing or unreadable: nothing to follow; keep the remaining components.
    }
    if (!isLink) {
      done.push(comp);
      continue;
    }
    if (++links > 40) throw invalidArgument(`too many levels of symbolic links resolving ${path} in container`);
    const target = await readlink(candidate);
    if (target.startsWith('/')) done.length = 0;
    todo.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
  }
  return `${root}/${done.join('/')}`;
}

async function readInRoot(root: string, path: string): Promise<string | undefined> {
  try {
    const p = await resolveInRoot(root, path);
    if (!(await lstat(p)).isFile()) return undefined;
    return await readFile(p, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Resolves Docker's `--user` forms ("", "name", "uid", "name:group",
 * "uid:gid", and mixes) against the image's /etc/passwd and /etc/group,
 * with the semantics of runc's user.GetExecUser (used by moby):
 * a numeric user or group need not exist; a name must. `groupAdd` is
 * HostConfig.GroupAdd (names or gids).
 * Unknown names throw `internal`: moby's getUser errors are untyped, so Docker answers 500.
 */
export async function resolveUser(rootfsPath: string, userSpec: string, opts: { groupAdd?: readonly string[] } = {}): Promise<ResolvedUser> {
  const [passwdText, groupText] = await Promise.all([readInRoot(rootfsPath, '/etc/passwd'), readInRoot(rootfsPath, '/etc/group')]);
  const colon = userSpec.indexOf(':');
  const userArg = (colon < 0 ? userSpec : userSpec.slice(0, colon)) || '0';
  const groupArg = colon < 0 ? '' : userSpec.slice(colon + 1);

  const uidArg = parseId(userArg);
  const users = parsePasswd(passwdText);
  const match = users.find((u) => (uidArg === undefined ? u.name === userArg : u.uid === uidArg));
  let uid: number;
  let gid = 0;
  let name = '';
  if (match) {
    ({ uid, gid, name } = match);
  } else if (uidArg !== undefined) {
    uid = uidArg;
  } else {
    throw internal(`unable to find user ${userArg}: no matching entries in passwd file`);
  }
  if (uid > maxId) throw invalidArgument(`uids and gids must be in range 0-${maxId}`);

  const groups = parseGroup(groupText);
  const sgids: number[] = [];
  if (groupArg !== '') {
    const gidArg = parseId(groupArg);
    const g = groups.find((e) => (gidArg === undefined ? e.name === groupArg : e.gid === gidArg));
    if (g) gid = g.gid;
    else if (gidArg !== undefined) gid = gidArg;
    else throw internal(`unable to find group ${groupArg}: no matching entries in group file`);
    if (gid > maxId) throw invalidArgument(`uids and gids must be in range 0-${maxId}`);
  } else if (name !== '') {
    // Supplementary groups only in the implicit form, as runc does.
    for (const g of groups) if (g.members.includes(name)) sgids.push(g.gid);
  }

  const added: number[] = [];
  for (const ga of opts.groupAdd ?? []) {
    const n = parseId(ga);
    const g = groups.find((e) => (n === undefined ? e.name === ga : e.gid === n));
    if (g) added.push(g.gid);
    else if (n !== undefined && n <= maxId) added.push(n);
    else throw internal(`Unable to find group ${ga}: no matching entries in group file`);
  }
  return { uid, gid, additionalGids: [gid, ...sgids, ...added] };
}
