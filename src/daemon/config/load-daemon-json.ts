import { invalidArgument, isEngineError } from '../../errors/engine-error.js';
import {
  DEFAULT_CONFIG_FILE,
  type AddressPool,
  type DaemonConfig,
  type DaemonSettings,
  type RuntimeEntry,
  type UlimitEntry,
} from './daemon-config.js';
import { isIpv4Cidr, parseLogLevel, type DaemonArgs } from './parse-daemon-args.js';

/** What settling the configuration may touch, injected so that it stays a pure function. */
export interface DaemonConfigIo {
  /** The daemon's environment; only PATH is read (to find runtimes). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole file as UTF-8; throws an error with `code: 'ENOENT'` when it is absent. */
  readonly readFile: (path: string) => string;
  /** Whether `path` is an executable regular file. */
  readonly isExecutable: (path: string) => boolean;
}

type Validators = { [K in keyof DaemonSettings]-?: (value: unknown, key: string) => NonNullable<DaemonSettings[K]> };

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const wrongType = (key: string, want: string, v: unknown): Error =>
  invalidArgument(`invalid value for "${key}": expected ${want}, got ${typeName(v)}`);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str = (v: unknown, key: string): string => {
  if (typeof v !== 'string') throw wrongType(key, 'a string', v);
  return v;
};
const bool = (v: unknown, key: string): boolean => {
  if (typeof v !== 'boolean') throw wrongType(key, 'a boolean', v);
  return v;
};
const int = (v: unknown, key: string): number => {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(key, 'an integer', v);
  return v;
};
const nonNegativeInt = (v: unknown, key: string): number => {
  const n = int(v, key);
  if (n < 0) throw invalidArgument(`invalid value for "${key}": ${n} must not be negative`);
  return n;
};
const strings = (v: unknown, key: string): string[] => {
  if (!Array.isArray(v)) throw wrongType(key, 'an array of strings', v);
  return v.map((item) => str(item, key));
};
const stringMap = (v: unknown, key: string): Record<string, string> => {
  if (!isRecord(v)) throw wrongType(key, 'an object of strings', v);
  return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, str(item, `${key}.${k}`)]));
};
const cidr = (v: unknown, key: string): string => {
  const s = str(v, key);
  if (!isIpv4Cidr(s)) throw invalidArgument(`invalid value for "${key}": invalid CIDR address: ${s}`);
  return s;
};
const runtimes = (v: unknown, key: string): Record<string, RuntimeEntry> => {
  if (!isRecord(v)) throw wrongType(key, 'an object of runtimes', v);
  const out: Record<string, RuntimeEntry> = {};
  for (const [name, entry] of Object.entries(v)) {
    if (!isRecord(entry)) throw wrongType(`${key}.${name}`, 'an object', entry);
    if (entry.path === undefined || entry.path === '') throw invalidArgument(`runtime ${name}: a path must be configured`);
    const path = str(entry.path, `${key}.${name}.path`);
    out[name] = entry.runtimeArgs === undefined ? { path } : { path, runtimeArgs: strings(entry.runtimeArgs, `${key}.${name}.runtimeArgs`) };
  }
  return out;
};
const addressPools = (v: unknown, key: string): AddressPool[] => {
  if (!Array.isArray(v)) throw wrongType(key, 'an array of {"base","size"}', v);
  return v.map((p: unknown) => {
    if (!isRecord(p)) throw wrongType(key, 'an array of {"base","size"}', p);
    const size = int(p.size, `${key}.size`);
    // IPv6 pools (Docker ≥ 27) carve /64s and such out of a ULA base.
    if (typeof p.base === 'string' && p.base.includes(':')) {
      if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(p.base) || size < 1 || size > 128) throw invalidArgument(`invalid value for "${key}": invalid IPv6 pool ${p.base}/${size}`);
      return { base: p.base, size };
    }
    if (size < 1 || size > 32) throw invalidArgument(`invalid value for "${key}": size ${size} out of range`);
    return { base: cidr(p.base, `${key}.base`), size };
  });
};
const ulimits = (v: unknown, key: string): Record<string, UlimitEntry> => {
  if (!isRecord(v)) throw wrongType(key, 'an object of {"Name","Soft","Hard"}', v);
  const out: Record<string, UlimitEntry> = {};
  for (const [name, u] of Object.entries(v)) {
    if (!isRecord(u)) throw wrongType(`${key}.${name}`, 'an object', u);
    const soft = int(u.Soft, `${key}.${name}.Soft`);
    const hard = int(u.Hard, `${key}.${name}.Hard`);
    if (soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
    out[name] = { name: u.Name === undefined ? name : str(u.Name, `${key}.${name}.Name`), soft, hard };
  }
  return out;
};
const features = (v: unknown, key: string): Record<string, boolean> => {
  if (!isRecord(v)) throw wrongType(key, 'an object of booleans', v);
  return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, bool(item, `${key}.${k}`)]));
};
const shmSize = (v: unknown, key: string): string => {
  const s = typeof v === 'number' ? String(v) : str(v, key);
  parseByteSize(s, key);
  return s;
};
const ipcMode = (v: unknown, key: string): string => {
  const s = str(v, key);
  if (s !== 'private' && s !== 'shareable') throw invalidArgument(`configuration validation from file failed: ${badIpcMode(s)}`);
  return s;
};
const cgroupnsMode = (v: unknown, key: string): string => {
  const s = str(v, key);
  if (s !== 'host' && s !== 'private') throw invalidArgument(`configuration validation from file failed: ${badCgroupnsMode(s)}`);
  return s;
};
// dockerd's texts (daemon/config ValidatePlatformConfig).
const badIpcMode = (s: string): string => `default IPC mode setting (${s}) is invalid; use "shareable" or "private"`;
const badCgroupnsMode = (s: string): string => `default cgroup namespace mode (${s}) is invalid; use "host" or "private"`;
const level = (v: unknown, key: string): DaemonSettings['log-level'] & string => parseLogLevel(str(v, key));

// Every key daemon.json may hold. Anything else is rejected, as dockerd does.
const validators: Validators = {
  'data-root': str,
  'exec-root': str,
  hosts: strings,
  pidfile: str,
  debug: bool,
  'log-level': level,
  bridge: str,
  bip: cidr,
  group: str,
  'log-driver': str,
  'log-opts': stringMap,
  'default-runtime': str,
  runtimes,
  'live-restore': bool,
  'init-path': str,
  'berth-exec': (v: unknown, key: string): 'native' | 'runc' => {
    const s = str(v, key);
    if (s !== 'native' && s !== 'runc') throw invalidArgument(`invalid value for "${key}": ${s} (native or runc)`);
    return s;
  },
  'registry-mirrors': strings,
  'insecure-registries': strings,
  'default-address-pools': addressPools,
  'fixed-cidr': cidr,
  mtu: nonNegativeInt,
  iptables: bool,
  'ip-forward': bool,
  'userland-proxy': bool,
  icc: bool,
  'userns-remap': str,
  'storage-driver': str,
  features,
  'exec-opts': strings,
  dns: strings,
  'dns-search': strings,
  'dns-opts': strings,
  'default-ulimits': ulimits,
  'max-concurrent-downloads': nonNegativeInt,
  'max-concurrent-uploads': nonNegativeInt,
  experimental: bool,
  tls: bool,
  tlsverify: bool,
  tlscacert: str,
  tlscert: str,
  tlskey: str,
  ipv6: bool,
  'fixed-cidr-v6': str,
  'seccomp-profile': str,
  'no-new-privileges': bool,
  'selinux-enabled': bool,
  'shutdown-timeout': nonNegativeInt,
  labels: strings,
  'default-shm-size': shmSize,
  'cgroup-parent': str,
  containerd: str,
  'oom-score-adjust': int,
  'default-ipc-mode': ipcMode,
  'default-cgroupns-mode': cgroupnsMode,
};

const isSettingKey = (key: string): key is keyof DaemonSettings => Object.hasOwn(validators, key);

/**
 * Parses the text of a daemon.json. Errors carry dockerd's wording, prefixed
 * with "unable to configure the Docker daemon with file <path>: ".
 */
export function parseDaemonJson(text: string, path: string): DaemonSettings {
  const fail = (message: string): Error => invalidArgument(`unable to configure the Docker daemon with file ${path}: ${message}`);
  // dockerd tolerates a UTF-8 byte order mark and an empty file.
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (err) {
    throw fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(raw)) throw fail(`invalid JSON: the top level must be an object, got ${typeName(raw)}`);
  const unknown = Object.keys(raw).filter((k) => !isSettingKey(k));
  if (unknown.length > 0) throw fail(`the following directives don't match any configuration option: ${unknown.join(', ')}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!isSettingKey(key)) continue;
    try {
      out[key] = validators[key](value, key);
    } catch (err) {
      throw fail(isEngineError(err) ? err.message : String(err));
    }
  }
  return out as DaemonSettings;
}

/** Reads daemon.json; an absent file is an empty configuration unless it was named explicitly. */
export function loadDaemonJson(path: string, options: { explicit: boolean; readFile: DaemonConfigIo['readFile'] }): DaemonSettings {
  let text: string;
  try {
    text = options.readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !options.explicit) return {};
    throw invalidArgument(`unable to configure the Docker daemon with file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseDaemonJson(text, path);
}

/** Go's `%v` rendering, which dockerd's conflict message uses for both sides. */
function goValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isRecord(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

function findRuntime(name: string, io: DaemonConfigIo, fallback: string): string {
  for (const dir of (io.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir === '') continue;
    const candidate = `${dir.replace(/\/+$/, '')}/${name}`;
    if (io.isExecutable(candidate)) return candidate;
  }
  return fallback;
}

/** "64m", "1g", "65536", "1.5GB" → bytes (docker's RAMInBytes: binary units). */
export function parseByteSize(s: string, key: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) throw invalidArgument(`invalid value for "${key}": invalid size: '${s}'`);
  const exp = ' kmgtp'.indexOf((m[2] ?? '').toLowerCase() || ' ');
  return Math.floor(Number(m[1]) * 1024 ** exp);
}

/**
 * Settles the daemon's configuration: flags over daemon.json over defaults.
 * A key given both as a flag and in the file is an error, as in dockerd.
 */
export function resolveDaemonConfig(args: Extract<DaemonArgs, { kind: 'run' }>, io: DaemonConfigIo): DaemonConfig {
  const configFile = args.configFile ?? DEFAULT_CONFIG_FILE;
  const file = loadDaemonJson(configFile, { explicit: args.configFile !== undefined, readFile: io.readFile });
  const flags = args.settings;
  const conflicts = Object.keys(flags)
    .filter((k): k is keyof DaemonSettings => isSettingKey(k) && flags[k] !== undefined && file[k] !== undefined)
    .map((k) => `${k}: (from flag: ${goValue(flags[k])}, from file: ${goValue(file[k])})`);
  if (conflicts.length > 0) {
    throw invalidArgument(
      `unable to configure the Docker daemon with file ${configFile}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`,
    );
  }
  const s: DaemonSettings = { ...file, ...flags };
  const merged = (message: string): Error =>
    invalidArgument(`unable to configure the Docker daemon with file ${configFile}: merged configuration validation from file and command line flags failed: ${message}`);
  const ipc = s['default-ipc-mode'] ?? 'private';
  if (ipc !== 'private' && ipc !== 'shareable') throw merged(badIpcMode(ipc));
  const cgroupns = s['default-cgroupns-mode'];
  if (cgroupns !== undefined && cgroupns !== 'host' && cgroupns !== 'private') throw merged(badCgroupnsMode(cgroupns));

  const userRuntimes = s.runtimes ?? {};
  // dockerd reserves its stock runtime name; "crun" may be redefined.
  if (userRuntimes.runc !== undefined) throw invalidArgument(`runtime name 'runc' is reserved`);
  const runtimesOut: Record<string, RuntimeEntry> = {
    runc: { path: findRuntime('runc', io, '/usr/sbin/runc') },
    crun: { path: findRuntime('crun', io, '/usr/bin/crun') },
    ...userRuntimes,
  };
  const defaultRuntime = s['default-runtime'] ?? 'runc';
  if (runtimesOut[defaultRuntime] === undefined) throw invalidArgument(`specified default runtime '${defaultRuntime}' does not exist`);

  const execRoot = s['exec-root'] ?? '/run/berth';
  const debug = s.debug ?? false;
  const hosts = (s.hosts !== undefined && s.hosts.length > 0 ? s.hosts : [`unix://${execRoot}/berth.sock`]).map((h) =>
    normalizeHost(h, execRoot),
  );
  const tls = {
    enabled: (s.tls ?? false) || (s.tlsverify ?? false),
    verify: s.tlsverify ?? false,
    caCert: s.tlscacert,
    cert: s.tlscert,
    key: s.tlskey,
  };
  const tcp = hosts.find((h) => h.startsWith('tcp://'));
  // Like dockerd ≥ 27: unencrypted TCP only with an explicit --tls=false, and then berthd warns at every start.
  const insecureOptIn = s.tls === false && !tls.verify;
  if (tcp !== undefined && !insecureOptIn && !(tls.verify && tls.caCert && tls.cert && tls.key)) {
    throw invalidArgument(`refusing to listen on ${tcp} without mutual TLS: set tlsverify, tlscacert, tlscert and tlskey (or --tls=false to accept an unauthenticated, unencrypted API)`);
  }

  return {
    dataRoot: s['data-root'] ?? '/var/lib/berth',
    execRoot,
    hosts,
    // Two daemons side by side must not share a pidfile: follow the exec root when one was chosen.
    pidfile: s.pidfile ?? (s['exec-root'] !== undefined ? `${execRoot}/berthd.pid` : '/run/berthd.pid'),
    debug,
    logLevel: debug ? 'debug' : (s['log-level'] ?? 'info'),
    bridge: s.bridge ?? 'berth0',
    bip: s.bip,
    logDriver: s['log-driver'] ?? 'json-file',
    logOpts: s['log-opts'] ?? {},
    defaultRuntime,
    runtimes: runtimesOut,
    liveRestore: s['live-restore'] ?? false,
    configFile,
    group: s.group ?? 'berth',
    initPath: s['init-path'] ?? '/usr/bin/tini-static', // static, as docker-init must run in any image
    execPath: s['berth-exec'] ?? 'native',
    registryMirrors: s['registry-mirrors'] ?? [],
    insecureRegistries: s['insecure-registries'] ?? [],
    defaultAddressPools: s['default-address-pools'] ?? [],
    fixedCidr: s['fixed-cidr'],
    fixedCidrV6: s['fixed-cidr-v6'],
    ipv6: s.ipv6 ?? false,
    mtu: s.mtu ?? 1500,
    iptables: s.iptables ?? true,
    ipForward: s['ip-forward'] ?? true,
    userlandProxy: s['userland-proxy'] ?? true,
    icc: s.icc ?? true,
    usernsRemap: s['userns-remap'],
    storageDriver: s['storage-driver'],
    features: s.features ?? {},
    execOpts: s['exec-opts'] ?? [],
    dns: s.dns ?? [],
    dnsSearch: s['dns-search'] ?? [],
    dnsOpts: s['dns-opts'] ?? [],
    defaultUlimits: s['default-ulimits'] ?? {},
    maxConcurrentDownloads: s['max-concurrent-downloads'] ?? 3,
    maxConcurrentUploads: s['max-concurrent-uploads'] ?? 5,
    experimental: s.experimental ?? false,
    tls,
    seccompProfile: s['seccomp-profile'],
    noNewPrivileges: s['no-new-privileges'] ?? false,
    selinuxEnabled: s['selinux-enabled'] ?? false,
    shutdownTimeout: s['shutdown-timeout'] ?? 15,
    labels: s.labels ?? [],
    defaultShmSize: s['default-shm-size'] !== undefined ? parseByteSize(s['default-shm-size'], 'default-shm-size') : 64 * 1024 * 1024,
    cgroupParent: s['cgroup-parent'],
    containerd: s.containerd,
    oomScoreAdjust: s['oom-score-adjust'] ?? 0,
    defaultIpcMode: ipc,
    defaultCgroupnsMode: cgroupns,
  };
}

/** dockerd's ParseHost for the forms Berth serves: unix:// (empty = default socket) and tcp://host:port. */
export function normalizeHost(host: string, execRoot: string): string {
  const h = host.trim();
  const sep = h.indexOf('://');
  const proto = sep < 0 ? 'tcp' : h.slice(0, sep);
  const addr = sep < 0 ? h : h.slice(sep + 3);
  if (proto === 'unix') {
    if (addr === '') return `unix://${execRoot}/berth.sock`;
    if (!addr.startsWith('/')) throw invalidArgument(`invalid bind address (${host}): unix socket path must be absolute`);
    return `unix://${addr}`;
  }
  if (proto === 'tcp') {
    const m = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]*)(?::(\d+))?\/?$/.exec(addr);
    if (!m) throw invalidArgument(`invalid bind address (${host}): invalid tcp address`);
    const port = m[2] ?? '2376';
    if (Number(port) < 1 || Number(port) > 65535) throw invalidArgument(`invalid bind address (${host}): invalid port ${port}`);
    return `tcp://${m[1] || '127.0.0.1'}:${port}`;
  }
  throw invalidArgument(`invalid bind address (${host}): unsupported proto '${proto}'`);
}
