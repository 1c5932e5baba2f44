import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** Linux capabilities in bit order (linux/capability.h). */
const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

const RLIMITS: Readonly<Record<string, number>> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5, RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10, RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

const SECCOMP_ACTIONS = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);
const SECCOMP_FLAGS = new Set(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC']);

interface SeccompSection {
  defaultAction?: unknown;
  defaultErrnoRet?: unknown;
  architectures?: unknown;
  flags?: unknown;
  listenerPath?: unknown;
  syscalls?: { names?: unknown; action?: unknown; errnoRet?: unknown; args?: { index?: unknown; value?: unknown; valueTwo?: unknown; op?: unknown }[] }[];
}

export interface NativeExecInput {
  /** The container's init pid (host view): its namespaces and cgroups are joined. */
  readonly initPid: number;
  /** The OCI `process` for the exec (as `runc exec --process` would get it). */
  readonly process: Readonly<Record<string, unknown>>;
  /** The container spec's `linux` section (seccomp). */
  readonly linux: Readonly<Record<string, unknown>>;
  /** The init's cgroup directories, host paths. */
  readonly cgroups: CgroupDirs;
  readonly openStdin: boolean;
  readonly exitFile: string;
  /** Resize fifo for a TTY (conmon's `ctl` protocol). */
  readonly ctlPath?: string;
  /** Where compiled filters are kept, named after the hash of the profile's tokens. */
  readonly seccompCacheDir?: string;
}

/** Bump when the helper's compilation of a profile changes. */
const BPF_CACHE_FORMAT = 'berth-exec-bpf-1';

/**
 * Why the native helper cannot run this exec as runc would (so conmon + runc
 * must), or undefined. LSM labels and seccomp user notification need runc.
 */
export function nativeExecUnsupported(proc: Readonly<Record<string, unknown>>, linux: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof proc['apparmorProfile'] === 'string' && proc['apparmorProfile'] !== '') return 'apparmor profile';
  if (typeof proc['selinuxLabel'] === 'string' && proc['selinuxLabel'] !== '') return 'selinux label';
  if (proc['ioPriority'] !== undefined && proc['ioPriority'] !== null) return 'io priority';
  if (proc['scheduler'] !== undefined) return 'scheduler';
  if (linux['personality'] !== undefined) return 'personality';
  const sec = linux['seccomp'] as SeccompSection | undefined;
  if (sec) {
    if (typeof sec.listenerPath === 'string' && sec.listenerPath !== '') return 'seccomp listener';
    if (typeof sec.defaultAction !== 'string' || !SECCOMP_ACTIONS.has(sec.defaultAction)) return `seccomp action ${String(sec.defaultAction)}`;
    for (const f of Array.isArray(sec.flags) ? (sec.flags as unknown[]) : []) if (!SECCOMP_FLAGS.has(String(f))) return `seccomp flag ${String(f)}`;
    for (const s of sec.syscalls ?? []) {
      if (typeof s.action !== 'string' || !SECCOMP_ACTIONS.has(s.action)) return `seccomp action ${String(s.action)}`;
      if ((s.args?.length ?? 0) > 6) return 'seccomp rule with more than 6 conditions';
    }
  }
  return undefined;
}

function capMask(list: unknown): string {
  let mask = 0n;
  for (const name of Array.isArray(list) ? (list as unknown[]) : []) {
    const bit = CAPABILITIES.indexOf(String(name));
    if (bit >= 0) mask |= 1n << BigInt(bit); // runc ignores capabilities it does not know
  }
  return mask.toString(16);
}

/** An rlimit value as decimal text; JSON cannot carry 2^64-1 exactly, so anything that large is RLIM_INFINITY. */
function rlimitValue(v: unknown): string {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n >= 2 ** 63) return '18446744073709551615';
  return BigInt(Math.max(0, Math.trunc(n))).toString();
}

const num = (v: unknown, fallback = 0): string => String(typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : fallback);

/**
 * The helper's spec: NUL-terminated tokens (argv-like, so any byte but NUL
 * passes), preceded by their length. Grammar in native/berth-exec.c.
 */
export function encodeNativeExecSpec(input: NativeExecInput): Buffer {
  const p = input.process;
  const t: string[] = ['pid', String(input.initPid)];
  for (const a of (p['args'] as unknown[] | undefined) ?? []) t.push('arg', String(a));
  for (const e of (p['env'] as unknown[] | undefined) ?? []) t.push('env', String(e));
  t.push('cwd', typeof p['cwd'] === 'string' && p['cwd'] !== '' ? p['cwd'] : '/');
  const user = (p['user'] ?? {}) as { uid?: unknown; gid?: unknown; additionalGids?: unknown };
  t.push('uid', num(user.uid), 'gid', num(user.gid));
  for (const g of Array.isArray(user.additionalGids) ? (user.additionalGids as unknown[]) : []) t.push('group', num(g));
  const caps = (p['capabilities'] ?? {}) as Record<string, unknown>;
  t.push('caps', capMask(caps['bounding']), capMask(caps['effective']), capMask(caps['permitted']), capMask(caps['inheritable']), capMask(caps['ambient']));
  t.push('nnp', p['noNewPrivileges'] === true ? '1' : '0');
  if (typeof p['oomScoreAdj'] === 'number') t.push('oom', num(p['oomScoreAdj']));
  for (const r of (p['rlimits'] as { type?: unknown; soft?: unknown; hard?: unknown }[] | undefined) ?? []) {
    const res = RLIMITS[String(r.type)];
    if (res !== undefined) t.push('rlimit', String(res), rlimitValue(r.soft), rlimitValue(r.hard));
  }
  if (p['terminal'] === true) {
    const size = (p['consoleSize'] ?? {}) as { height?: unknown; width?: unknown };
    t.push('tty', num(size.height), num(size.width));
    if (input.ctlPath) t.push('ctl', input.ctlPath);
  }
  t.push('stdin', input.openStdin ? '1' : '0');
  for (const c of input.cgroups.v1) t.push('cgroup', c);
  if (input.cgroups.v2 !== undefined) t.push('cgroup2', input.cgroups.v2);
  t.push('exitfile', input.exitFile);
  const sec = input.linux['seccomp'] as SeccompSection | undefined;
  if (sec) {
    // "seccomp" must come last: the helper reads the rest as the filter.
    const errnoOf = (v: unknown): string => (typeof v === 'number' ? String(v) : '-1');
    const at = t.length;
    t.push('seccomp', String(sec.defaultAction), errnoOf(sec.defaultErrnoRet));
    const flags = Array.isArray(sec.flags) ? (sec.flags as unknown[]).map(String) : [];
    t.push(String(flags.length), ...flags);
    const arches = Array.isArray(sec.architectures) ? (sec.architectures as unknown[]).map(String) : [];
    t.push(String(arches.length), ...arches);
    for (const s of sec.syscalls ?? []) {
      const args = s.args ?? [];
      const conds = args.flatMap((a) => [num(a.index), String(a.op), BigInt(Math.trunc(Number(a.value ?? 0))).toString(), BigInt(Math.trunc(Number(a.valueTwo ?? 0))).toString()]);
      for (const name of Array.isArray(s.names) ? (s.names as unknown[]) : []) {
        t.push('rule', String(name), String(s.action), errnoOf(s.errnoRet), String(args.length), ...conds);
      }
    }
    if (input.seccompCacheDir !== undefined) {
      const hash = createHash('sha256').update(BPF_CACHE_FORMAT).update(t.slice(at).join('\0')).digest('hex');
      t.splice(at, 0, 'bpfcache', `${input.seccompCacheDir}/${hash}.bpf`);
    }
  }
  const body = Buffer.from(t.map((x) => `${x}\0`).join(''));
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

interface CgroupMount {
  readonly root: string;
  readonly mountpoint: string;
  readonly v2: boolean;
  readonly options: ReadonlySet<string>;
}

let mounts: Promise<CgroupMount[]> | undefined;

/** The host's cgroup mounts (read once: they do not change while berthd runs). */
function cgroupMounts(): Promise<CgroupMount[]> {
  mounts ??= readFile('/proc/self/mountinfo', 'utf8').then((text) => {
    const out: CgroupMount[] = [];
    for (const line of text.split('\n')) {
      const [pre, post] = line.split(' - ');
      if (!pre || !post) continue;
      const f = pre.split(' ');
      const [fstype, , superOpts] = post.split(' ');
      if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
      const root = unescapeMount(f[3] ?? '/');
      const mountpoint = unescapeMount(f[4] ?? '');
      out.push({ root, mountpoint, v2: fstype === 'cgroup2', options: new Set((superOpts ?? '').split(',')) });
    }
    return out;
  });
  return mounts;
}

const unescapeMount = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** A process's cgroup directories on the host: one per v1 hierarchy, and the unified (v2) one. */
export interface CgroupDirs {
  readonly v1: readonly string[];
  readonly v2?: string;
  /** The paths /proc/<pid>/cgroup names (to check whose process `pid` is). */
  readonly paths: readonly string[];
}

/**
 * The cgroup directories of every hierarchy `pid` belongs to, so a process
 * moved there has exactly the init's /proc/self/cgroup.
 */
export async function cgroupDirsOf(pid: number): Promise<CgroupDirs> {
  const [text, all] = await Promise.all([readFile(`/proc/${pid}/cgroup`, 'utf8'), cgroupMounts()]);
  const v1: string[] = [];
  const paths: string[] = [];
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const [, id, controllers = '', path = '/'] = m;
    paths.push(path);
    const wanted = controllers.split(',').filter((c) => c !== '');
    const mount = all.find((mt) => (id === '0' && wanted.length === 0 ? mt.v2 : !mt.v2 && wanted.length > 0 && wanted.every((c) => mt.options.has(c))));
    if (!mount) continue;
    if (path !== mount.root && !path.startsWith(mount.root === '/' ? '/' : `${mount.root}/`)) continue;
    const rel = mount.root === '/' ? path : path.slice(mount.root.length);
    const dir = `${mount.mountpoint}${rel === '/' ? '' : rel}`;
    if (mount.v2) v2 = dir;
    else v1.push(dir);
  }
  return v2 === undefined ? { v1, paths } : { v1, v2, paths };
}
