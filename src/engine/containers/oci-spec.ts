import { posix } from 'node:path';
import { invalidArgument } from '../../errors/engine-error.js';
import type { HostLimits } from '../../runtime/host-limits.js';
import type { OciCapabilities, OciDevice, OciDeviceCgroupRule, OciMount, OciNamespace, OciResources, OciRlimit, OciSeccomp, OciSpec } from '../../runtime/oci-spec-types.js';
import type { ResolvedUser } from './user.js';

/*
 * OCI spec policy: turns a container's (already validated and merged)
 * configuration into config.json with Docker's defaults. Pure: everything it
 * needs from the host (cgroup version, rlimits, devices) comes in the input.
 */

/** How a namespace is obtained: a new one, the host's, or one at a path (/proc/PID/ns/net). */
export type NamespaceMode = { readonly type: 'new' } | { readonly type: 'host' } | { readonly type: 'path'; readonly path: string };

export interface SpecMount {
  readonly destination: string;
  /** Host path for binds; ignored for tmpfs. */
  readonly source: string;
  readonly type?: 'bind' | 'tmpfs';
  readonly readonly?: boolean;
  /** Bind propagation; Docker's default is rprivate. */
  readonly propagation?: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave';
  /** Extra mount options (tmpfs size=…, nosuid, …). */
  readonly options?: readonly string[];
  /** A bind of the source alone, without the mounts beneath it (BindOptions.NonRecursive). */
  readonly nonRecursive?: boolean;
}

export interface Ulimit {
  /** Docker's name ("nofile", "nproc", …). */
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

export interface OciSpecInput {
  readonly id: string;
  /** Absolute path, or relative to the bundle. */
  readonly rootfsPath: string;
  /** The command, see effectiveArgs(); must be non-empty. */
  readonly args: readonly string[];
  /** Config.Env as stored at create (see mergeConfigEnv); the daemon's defaults are added here. */
  readonly env: readonly string[];
  readonly workingDir?: string;
  readonly user: ResolvedUser;
  readonly tty: boolean;
  /** HostConfig.ConsoleSize [height, width]: the TTY's size from the first instruction, no resize race. */
  readonly consoleSize?: { readonly height: number; readonly width: number };
  readonly hostname: string;
  /** Config.Domainname, set in the container's own UTS namespace. */
  readonly domainname?: string;
  /** HostConfig.Annotations: copied into the spec's annotations for the runtime. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** HostConfig.MaskedPaths / ReadonlyPaths as stored (create fills Docker's defaults when they were not given). */
  readonly maskedPaths?: readonly string[];
  readonly readonlyPaths?: readonly string[];
  /** Run `initPath` (tini) as pid 1, mounted read-only at /sbin/docker-init. */
  readonly init?: boolean;
  readonly initPath?: string;
  readonly networkNamespace: NamespaceMode;
  readonly pidNamespace?: NamespaceMode;
  readonly ipcNamespace?: NamespaceMode;
  readonly utsNamespace?: NamespaceMode;
  /** A cgroup namespace (`--cgroupns private`); default: only on cgroup v2. */
  readonly cgroupNamespace?: boolean;
  /** `--ipc none`: no /dev/shm mount at all. */
  readonly noShm?: boolean;
  /** Detected by the caller: /sys/fs/cgroup/cgroup.controllers exists. */
  readonly cgroupV2: boolean;
  /** Default "/berth". */
  readonly cgroupParent?: string;
  /** The daemon's own rlimits (runtime/host-limits.ts). */
  readonly hostLimits: HostLimits;
  /** Host paths of the container's generated files, bind mounted over the image's. */
  readonly etcFiles?: { readonly hosts?: string; readonly hostname?: string; readonly resolvConf?: string };
  readonly readonlyRootfs?: boolean;
  readonly privileged?: boolean;
  /** Host devices to expose when privileged (the caller enumerates /dev). */
  readonly hostDevices?: readonly OciDevice[];
  /** HostConfig.Devices, resolved on the host (engine/containers/devices.ts). */
  readonly devices?: readonly OciDevice[];
  /** Cgroup rules for `devices` and HostConfig.DeviceCgroupRules, after Docker's defaults; ignored when privileged. */
  readonly deviceRules?: readonly OciDeviceCgroupRule[];
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  /** Binds, volumes and tmpfs mounts; one at a default mount's destination replaces it. */
  readonly mounts?: readonly SpecMount[];
  /** Bytes; Docker's default 64 MiB. */
  readonly shmSize?: number;
  readonly oomScoreAdj?: number;
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly ulimits?: readonly Ulimit[];
  /** Memory/CPU/pids limits; `devices` is set here and must not be given. */
  readonly resources?: Omit<OciResources, 'devices'>;
  /** The resolved seccomp filter (engine/security); absent means unconfined. */
  readonly seccomp?: OciSeccomp;
  /** `--security-opt no-new-privileges`. */
  readonly noNewPrivileges?: boolean;
}

export const defaultPathEnv = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const defaultCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Linux capabilities 0..40 in kernel order. */
export const allCapabilities: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const maskedPaths = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const readonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// moby oci/defaults.go; runc appends its own defaults (pts, ptmx, full, …) after these.
const dockerDeviceRules: readonly OciDeviceCgroupRule[] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
];

const ulimitTypes: Readonly<Record<string, string>> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
};

/** containerd's default RLIMIT_NOFILE for containers. */
const defaultNofile = 1048576;

const isEmpty = (a: readonly string[] | null | undefined): boolean => !a || a.length === 0 || (a.length === 1 && a[0] === '');

/**
 * Docker's command: Config.Entrypoint + Config.Cmd, where an unset (null)
 * entrypoint falls back to the image's, and the image's Cmd is used only
 * when the container sets neither entrypoint nor cmd (moby daemon/commit.go
 * merge). `--entrypoint ""` (`[""]`) clears the image's entrypoint. An empty
 * result means "No command specified"; the caller raises it.
 */
export function effectiveArgs(
  container: { readonly Entrypoint?: readonly string[] | null; readonly Cmd?: readonly string[] | null },
  image: { readonly Entrypoint?: readonly string[] | null; readonly Cmd?: readonly string[] | null },
): string[] {
  let entrypoint = isEmpty(container.Entrypoint) ? [] : [...(container.Entrypoint ?? [])];
  let cmd = container.Cmd ? [...container.Cmd] : [];
  if (entrypoint.length === 0) {
    if (cmd.length === 0) cmd = image.Cmd ? [...image.Cmd] : [];
    if (container.Entrypoint == null && !isEmpty(image.Entrypoint)) entrypoint = [...(image.Entrypoint ?? [])];
  }
  return [...entrypoint, ...cmd];
}

const envKey = (e: string): string => {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
};

/** Config.Env at create: the user's entries, then the image's whose key the user did not set (moby merge). */
export function mergeConfigEnv(userEnv: readonly string[] | null | undefined, imageEnv: readonly string[] | null | undefined): string[] {
  const user = [...(userEnv ?? [])];
  const keys = new Set(user.map(envKey));
  return [...user, ...(imageEnv ?? []).filter((e) => !keys.has(envKey(e)))];
}

/**
 * The process env: PATH, HOSTNAME and (with a TTY) TERM defaults, replaced or
 * extended by Config.Env; an entry without "=" removes the key
 * (moby CreateDaemonEnvironment + ReplaceOrAppendEnvValues).
 */
export function processEnv(configEnv: readonly string[], hostname: string, tty: boolean): string[] {
  const env = [`PATH=${defaultPathEnv}`, `HOSTNAME=${hostname}`, ...(tty ? ['TERM=xterm'] : [])];
  const index = new Map(env.map((e, i) => [envKey(e), i]));
  const removed = new Set<number>();
  for (const e of configEnv) {
    const k = envKey(e);
    const at = index.get(k);
    if (!e.includes('=')) {
      if (at !== undefined) removed.add(at);
      continue;
    }
    if (at !== undefined && !removed.has(at)) env[at] = e;
    else {
      index.set(k, env.length);
      env.push(e);
    }
  }
  return env.filter((_, i) => !removed.has(i));
}

function normalizeCaps(list: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const raw of list ?? []) {
    const up = raw.toUpperCase();
    const c = up === 'ALL' || up.startsWith('CAP_') ? up : `CAP_${up}`;
    if (c !== 'ALL' && !allCapabilities.includes(c)) throw invalidArgument(`unknown capability: "${c}"`);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** moby caps.TweakCapabilities. */
export function effectiveCapabilities(opts: { privileged?: boolean; capAdd?: readonly string[]; capDrop?: readonly string[] }): string[] {
  if (opts.privileged) return [...allCapabilities];
  const add = normalizeCaps(opts.capAdd);
  const drop = normalizeCaps(opts.capDrop);
  let caps: string[];
  if (add.includes('ALL')) caps = allCapabilities.filter((c) => !drop.includes(c));
  else if (drop.includes('ALL')) caps = add;
  else caps = [...defaultCapabilities.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(caps.filter((c) => c !== 'ALL'))];
}

function namespace(type: OciNamespace['type'], mode: NamespaceMode | undefined): OciNamespace | undefined {
  if (!mode || mode.type === 'new') return { type };
  if (mode.type === 'path') return { type, path: mode.path };
  return undefined;
}

function toOciMount(m: SpecMount): OciMount {
  if (m.type === 'tmpfs') {
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...(m.readonly ? ['ro'] : []), ...(m.options ?? [])] };
  }
  return {
    destination: m.destination,
    type: 'bind',
    source: m.source,
    options: [m.nonRecursive ? 'bind' : 'rbind', ...(m.readonly ? ['ro'] : []), m.propagation ?? 'rprivate', ...(m.options ?? [])],
  };
}

const depth = (p: string): number => p.split('/').filter((c) => c !== '').length;

function rlimits(input: OciSpecInput): OciRlimit[] {
  const capFor = (type: string): number => input.hostLimits.get(type)?.hard ?? Infinity;
  const out = new Map<string, OciRlimit>();
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', soft: Math.min(defaultNofile, capFor('RLIMIT_NOFILE')), hard: Math.min(defaultNofile, capFor('RLIMIT_NOFILE')) });
  for (const u of input.ulimits ?? []) {
    const type = ulimitTypes[u.name];
    if (!type) throw invalidArgument(`invalid ulimit type: ${u.name}`);
    if (u.soft > u.hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
    // Without CAP_SYS_RESOURCE the runtime cannot raise a hard limit above the daemon's.
    if (u.hard > capFor(type)) throw invalidArgument(`ulimit ${u.name}: hard limit ${u.hard} exceeds the daemon's hard limit ${capFor(type)}`);
    out.set(type, { type, soft: u.soft, hard: u.hard });
  }
  return [...out.values()];
}

/** Builds config.json for one container. Throws invalid_argument for bad capabilities or ulimits. */
export function buildOciSpec(input: OciSpecInput): OciSpec {
  if (input.args.length === 0) throw invalidArgument('No command specified');
  const privileged = input.privileged ?? false;
  const args = input.init
    ? ['/sbin/docker-init', '--', ...input.args]
    : [...input.args];

  const caps = effectiveCapabilities(input);
  // moby oci.SetCapabilities: a non-root user gets only the bounding set, as execve would leave it.
  const capabilities: OciCapabilities = input.user.uid === 0 ? { bounding: caps, effective: caps, permitted: caps } : { bounding: caps };

  const namespaces = [
    { type: 'mount' as const },
    namespace('network', input.networkNamespace),
    namespace('uts', input.utsNamespace),
    namespace('pid', input.pidNamespace),
    namespace('ipc', input.ipcNamespace),
    ...((input.cgroupNamespace ?? input.cgroupV2) ? [{ type: 'cgroup' as const }] : []),
  ].filter((n): n is OciNamespace => n !== undefined);
  const ownUts = namespaces.some((n) => n.type === 'uts' && n.path === undefined);
  const ownIpc = (input.ipcNamespace === undefined || input.ipcNamespace.type === 'new') && input.noShm !== true;

  const defaults: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [privileged ? 'rw' : 'ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    // Docker's "private" IPC mode: a fresh tmpfs; with a shared IPC namespace /dev/shm comes from a bind mount the caller adds.
    ...(ownIpc
      ? [{ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${input.shmSize ?? 64 * 1024 * 1024}`] }]
      : []),
  ];

  const userMounts: SpecMount[] = [];
  const etc = input.etcFiles ?? {};
  const writable = !input.readonlyRootfs;
  if (etc.resolvConf) userMounts.push({ destination: '/etc/resolv.conf', source: etc.resolvConf, readonly: !writable });
  if (etc.hostname) userMounts.push({ destination: '/etc/hostname', source: etc.hostname, readonly: !writable });
  if (etc.hosts) userMounts.push({ destination: '/etc/hosts', source: etc.hosts, readonly: !writable });
  for (const m of input.mounts ?? []) {
    const i = userMounts.findIndex((u) => u.destination === m.destination);
    if (i >= 0) userMounts.splice(i, 1);
    userMounts.push(m);
  }
  if (input.init) {
    if (!input.initPath) throw invalidArgument('init requested but no init binary is configured');
    userMounts.push({ destination: '/sbin/docker-init', source: input.initPath, readonly: true });
  }
  const userDest = new Set(userMounts.map((m) => m.destination));
  const mountsDev = userDest.has('/dev');
  const mounts = [
    ...defaults.filter((m) => !userDest.has(m.destination) && !(mountsDev && m.destination.startsWith('/dev/'))),
    // moby sorts user mounts by depth so a parent is mounted before its children.
    ...userMounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i).map(({ m }) => toOciMount(m)),
  ];

  const userDevices = input.devices ?? [];
  const devices = [
    // moby's default spec lists no devices: the runtime creates /dev/null, /dev/full, … and allows them itself (a listed one loses runc's rule).
    ...(privileged ? (input.hostDevices ?? []) : []).filter((d) => !userDevices.some((u) => u.path === d.path)),
    ...userDevices,
  ];
  const deviceRules: OciDeviceCgroupRule[] = privileged ? [{ allow: true, access: 'rwm' }] : [...dockerDeviceRules, ...(input.deviceRules ?? [])];

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: input.tty,
      ...(input.tty && input.consoleSize && input.consoleSize.height > 0 && input.consoleSize.width > 0 ? { consoleSize: { ...input.consoleSize } } : {}),
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: [...input.user.additionalGids] },
      args,
      env: processEnv(input.env, input.hostname, input.tty),
      cwd: input.workingDir || '/',
      capabilities,
      rlimits: rlimits(input),
      noNewPrivileges: input.noNewPrivileges ?? false,
      oomScoreAdj: input.oomScoreAdj ?? 0,
    },
    root: { path: input.rootfsPath, readonly: input.readonlyRootfs ?? false },
    ...(ownUts ? { hostname: input.hostname } : {}),
    mounts,
    ...(input.annotations && Object.keys(input.annotations).length > 0 ? { annotations: { ...input.annotations } } : {}),
    linux: {
      // moby sets the NIS domain name as the kernel.domainname sysctl (runc 1.1 has no spec.domainname).
      ...(sysctls(input, ownUts) ? { sysctl: sysctls(input, ownUts) } : {}),
      resources: { ...(input.resources ?? {}), devices: deviceRules },
      cgroupsPath: posix.join(input.cgroupParent ?? '/berth', input.id),
      namespaces,
      devices,
      // On cgroup v1 runc leaves the tmpfs holding the controller mounts writable; Docker's containers see it read-only.
      ...(privileged
        ? {}
        : {
            maskedPaths: [...(input.maskedPaths ?? maskedPaths)],
            readonlyPaths: [...(input.readonlyPaths ?? readonlyPaths), ...(input.cgroupV2 ? [] : ['/sys/fs/cgroup'])],
          }),
      ...(input.seccomp ? { seccomp: input.seccomp } : {}),
    },
  };
  return spec;
}

function sysctls(input: OciSpecInput, ownUts: boolean): Record<string, string> | undefined {
  const out: Record<string, string> = { ...(input.sysctls ?? {}) };
  if (ownUts && input.domainname) out['kernel.domainname'] = input.domainname;
  return Object.keys(out).length > 0 ? out : undefined;
}
