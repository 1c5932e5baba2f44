import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { invalidArgument } from '../../errors/engine-error.js';
import { remappedRoot, type IdMapping, type IdRange } from '../../lib/id-mapping.js';

const run = promisify(execFile);

/**
 * daemon.json `userns-remap` / `--userns-remap` (moby daemon_unix.go
 * parseRemappedRoot + setupRemappedRoot): containers get a user namespace in
 * which root is the first subordinate id of a host user. Values: `default`
 * (the `berth` user and group, created with subordinate ranges when
 * missing), `user`, `user:group`, `uid`, `uid:gid`. The ranges come from
 * /etc/subuid and /etc/subgid, both looked up by the user's name, as moby's
 * LoadIdentityMapping does.
 */
export interface UsernsRemap {
  /** "user:group" as resolved (dockerd rewrites RemappedRoot the same way). */
  readonly name: string;
  readonly idMap: IdMapping;
  /** Host ids of the container's root. */
  readonly root: { readonly uid: number; readonly gid: number };
}

/** The account `default` stands for (Docker's is "dockremap"). */
export const DEFAULT_REMAP_USER = 'berth';
/** Docker's size and lowest start for ranges it allocates itself. */
const RANGE_SIZE = 65536;
const FIRST_START = 100000;

export interface UsernsRemapIo {
  readonly passwd: () => Promise<string>;
  readonly group: () => Promise<string>;
  readonly subuid: () => Promise<string>;
  readonly subgid: () => Promise<string>;
  /** Runs useradd/usermod (only for `default`). */
  readonly exec: (cmd: string, args: readonly string[]) => Promise<void>;
}

const hostIo: UsernsRemapIo = {
  passwd: () => readFile('/etc/passwd', 'utf8'),
  group: () => readFile('/etc/group', 'utf8'),
  subuid: () => readFile('/etc/subuid', 'utf8').catch(() => ''),
  subgid: () => readFile('/etc/subgid', 'utf8').catch(() => ''),
  exec: async (cmd, args) => {
    await run(cmd, [...args]);
  },
};

interface DbEntry {
  readonly name: string;
  readonly id: number;
  readonly gid?: number;
}

function parseDb(text: string, withGid: boolean): DbEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0] !== '')
    .map((f) => ({ name: f[0] ?? '', id: Number(f[2]), ...(withGid ? { gid: Number(f[3]) } : {}) }));
}

/** Entries of /etc/subuid or /etc/subgid for `name` (or its numeric id), in file order. */
export function parseSubIds(text: string, name: string, id?: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || line.trim().startsWith('#')) continue;
    if (f[0] !== name && (id === undefined || f[0] !== String(id))) continue;
    const start = Number(f[1]);
    const count = Number(f[2]);
    if (Number.isInteger(start) && Number.isInteger(count) && count > 0) out.push({ start, count });
  }
  return out;
}

const toRanges = (subs: readonly { start: number; count: number }[]): IdRange[] => {
  let containerId = 0;
  return subs.map((s) => {
    const r = { containerId, hostId: s.start, size: s.count };
    containerId += s.count;
    return r;
  });
};

/** The first start ≥ 100000 whose 65536 ids overlap no range in either file (moby findNextRangeStart). */
export function nextFreeRangeStart(subuid: string, subgid: string): number {
  const used = [subuid, subgid]
    .flatMap((t) => t.split('\n'))
    .map((l) => l.trim().split(':'))
    .filter((f) => f.length === 3)
    .map((f) => ({ start: Number(f[1]), end: Number(f[1]) + Number(f[2]) }))
    .filter((r) => Number.isInteger(r.start) && Number.isInteger(r.end))
    .sort((a, b) => a.start - b.start);
  let start = FIRST_START;
  for (const r of used) if (start < r.end && start + RANGE_SIZE > r.start) start = r.end;
  return start;
}

async function ensureDefaultUser(io: UsernsRemapIo): Promise<void> {
  const name = DEFAULT_REMAP_USER;
  if (!parseDb(await io.passwd(), true).some((u) => u.name === name)) {
    // The API socket's group may already be called berth: make it the account's primary group.
    const groupExists = parseDb(await io.group(), false).some((g) => g.name === name);
    await io.exec('useradd', ['--system', '--shell', '/bin/false', '--no-create-home', ...(groupExists ? ['--gid', name] : ['--user-group']), name]);
  }
  const [subuid, subgid] = [await io.subuid(), await io.subgid()];
  const needUids = parseSubIds(subuid, name).length === 0;
  const needGids = parseSubIds(subgid, name).length === 0;
  if (!needUids && !needGids) return;
  const start = nextFreeRangeStart(subuid, subgid);
  const range = `${start}-${start + RANGE_SIZE - 1}`;
  await io.exec('usermod', [...(needUids ? ['--add-subuids', range] : []), ...(needGids ? ['--add-subgids', range] : []), name]);
}

/**
 * Resolves a `userns-remap` value to its mapping; undefined when remapping
 * is off (empty value, or root, which dockerd also turns into "off" with a
 * warning). Errors carry dockerd's texts.
 */
export async function resolveUsernsRemap(value: string | undefined, io: UsernsRemapIo = hostIo): Promise<UsernsRemap | undefined> {
  if (value === undefined || value === '') return undefined;
  const parts = value.split(':');
  if (parts.length > 2) throw invalidArgument(`Invalid user/group specification in --userns-remap: "${value}"`);
  const users = parseDb(await io.passwd(), true);
  const groups = parseDb(await io.group(), false);
  const [userPart = '', groupPart] = parts;
  let user: DbEntry | undefined;
  let group: string | undefined;
  if (/^\d+$/.test(userPart)) {
    user = users.find((u) => u.id === Number(userPart));
    if (!user) throw invalidArgument(`Uid ${userPart} has no entry in /etc/passwd: no matching entries in passwd file`);
    if (groupPart === undefined) {
      group = groups.find((g) => g.id === Number(userPart))?.name;
      if (group === undefined) throw invalidArgument(`Gid ${userPart} has no entry in /etc/group: no matching entries in group file`);
    }
  } else {
    user = users.find((u) => u.name === userPart);
    if (!user && userPart === 'default') {
      try {
        await ensureDefaultUser(io);
      } catch (err) {
        throw invalidArgument(`Error during "${DEFAULT_REMAP_USER}" user creation: ${(err as Error).message.trim()}`);
      }
      user = parseDb(await io.passwd(), true).find((u) => u.name === DEFAULT_REMAP_USER);
      group = DEFAULT_REMAP_USER;
    }
    if (!user) throw invalidArgument(`Error during uid lookup for "${userPart}": user: unknown user ${userPart}`);
    if (groupPart === undefined && group === undefined) {
      group = groups.find((g) => g.name === userPart)?.name;
      if (group === undefined) throw invalidArgument(`Error during gid lookup for "${userPart}": group: unknown group ${userPart}`);
    }
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) {
      group = groups.find((g) => g.id === Number(groupPart))?.name;
      if (group === undefined) throw invalidArgument(`Gid ${groupPart} has no entry in /etc/passwd: no matching entries in group file`);
    } else {
      if (!groups.some((g) => g.name === groupPart)) throw invalidArgument(`Error during groupname lookup for "${groupPart}": group: unknown group ${groupPart}`);
      group = groupPart;
    }
  }
  if (user.name === 'root') return undefined;
  const uidSubs = parseSubIds(await io.subuid(), user.name, user.id);
  if (uidSubs.length === 0) throw invalidArgument(`Can't create ID mappings: No subuid ranges found for user "${user.name}"`);
  const gidSubs = parseSubIds(await io.subgid(), user.name, user.id);
  if (gidSubs.length === 0) throw invalidArgument(`Can't create ID mappings: No subgid ranges found for user "${user.name}"`);
  const idMap: IdMapping = { uids: toRanges(uidSubs), gids: toRanges(gidSubs) };
  return { name: `${user.name}:${group ?? user.name}`, idMap, root: remappedRoot(idMap) };
}

/**
 * Docker's refusals for a container that would get the user namespace
 * (moby verifyPlatformContainerSettings): privileged, host network and host
 * PID need `--userns=host`.
 */
export function validateUsernsHostConfig(
  remap: UsernsRemap | undefined,
  h: { readonly UsernsMode?: string; readonly Privileged?: boolean; readonly NetworkMode?: string; readonly PidMode?: string },
): void {
  // The CLI validates --userns itself (host or empty); the daemon only knows host as the opt-out.
  if (!remap || h.UsernsMode === 'host') return;
  if (h.Privileged) throw invalidArgument('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  if (h.NetworkMode === 'host') throw invalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  if (h.PidMode === 'host') throw invalidArgument('cannot share the host PID namespace when user namespaces are enabled');
}
