import { invalidArgument } from '../../errors/engine-error.js';
import type { DaemonLogLevel, DaemonSettings, RuntimeEntry } from './daemon-config.js';

/** What berthd was asked to do by its command line. */
export type DaemonArgs =
  | { readonly kind: 'help'; readonly usage: string }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      /** Settings given as flags, keyed by their daemon.json name. */
      readonly settings: DaemonSettings;
      /** --config-file, when given. */
      readonly configFile: string | undefined;
    };

type FlagKind = 'string' | 'bool' | 'list' | 'map' | 'runtime' | 'level' | 'cidr';
type Target = keyof DaemonSettings | 'config-file' | 'help' | 'version';

interface FlagSpec {
  readonly long: string;
  readonly short?: string;
  readonly target: Target;
  readonly kind: FlagKind;
  readonly usage: string;
}

// dockerd's flags, where they apply to Berth. `target` is the daemon.json key a
// flag conflicts with (dockerd's NamedOption: -H → "hosts", --log-opt → "log-opts").
const flags: readonly FlagSpec[] = [
  { long: 'add-runtime', target: 'runtimes', kind: 'runtime', usage: 'Register an additional OCI compatible runtime (name=path)' },
  { long: 'bip', target: 'bip', kind: 'cidr', usage: 'Specify default-bridge IP' },
  { long: 'bridge', short: 'b', target: 'bridge', kind: 'string', usage: 'Name of the default bridge ("none" disables it) (default "berth0")' },
  { long: 'config-file', target: 'config-file', kind: 'string', usage: 'Daemon configuration file (default "/etc/berth/daemon.json")' },
  { long: 'data-root', target: 'data-root', kind: 'string', usage: 'Root directory of persistent Berth state (default "/var/lib/berth")' },
  { long: 'debug', short: 'D', target: 'debug', kind: 'bool', usage: 'Enable debug mode' },
  { long: 'default-cgroupns-mode', target: 'default-cgroupns-mode', kind: 'string', usage: 'Default mode for containers cgroup namespace ("host" | "private")' },
  { long: 'default-ipc-mode', target: 'default-ipc-mode', kind: 'string', usage: 'Default mode for containers ipc ("shareable" | "private") (default "private")' },
  { long: 'default-runtime', target: 'default-runtime', kind: 'string', usage: 'Default OCI runtime for containers (default "runc")' },
  { long: 'exec-root', target: 'exec-root', kind: 'string', usage: 'Root directory for execution state files (default "/run/berth")' },
  { long: 'fixed-cidr-v6', target: 'fixed-cidr-v6', kind: 'string', usage: 'IPv6 subnet for the default bridge network' },
  { long: 'group', short: 'G', target: 'group', kind: 'string', usage: 'Group for the unix socket (default "berth")' },
  { long: 'help', short: 'h', target: 'help', kind: 'bool', usage: 'Print usage' },
  { long: 'host', short: 'H', target: 'hosts', kind: 'list', usage: 'Daemon socket(s) to connect to' },
  { long: 'init-path', target: 'init-path', kind: 'string', usage: 'Path to the init binary for --init (default "/usr/bin/tini-static")' },
  { long: 'ipv6', target: 'ipv6', kind: 'bool', usage: 'Enable IPv6 networking on the default bridge network' },
  { long: 'live-restore', target: 'live-restore', kind: 'bool', usage: 'Keep containers running while the daemon is down' },
  { long: 'log-driver', target: 'log-driver', kind: 'string', usage: 'Default driver for container logs (default "json-file")' },
  { long: 'log-level', short: 'l', target: 'log-level', kind: 'level', usage: 'Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")' },
  { long: 'log-opt', target: 'log-opts', kind: 'map', usage: 'Default log driver options for containers (key=value)' },
  { long: 'pidfile', short: 'p', target: 'pidfile', kind: 'string', usage: 'Path to use for daemon PID file (default "/run/berthd.pid")' },
  { long: 'tls', target: 'tls', kind: 'bool', usage: 'Use TLS; implied by --tlsverify' },
  { long: 'tlscacert', target: 'tlscacert', kind: 'string', usage: 'Trust certs signed only by this CA' },
  { long: 'tlscert', target: 'tlscert', kind: 'string', usage: 'Path to TLS certificate file' },
  { long: 'tlskey', target: 'tlskey', kind: 'string', usage: 'Path to TLS key file' },
  { long: 'tlsverify', target: 'tlsverify', kind: 'bool', usage: 'Use TLS and verify the remote' },
  { long: 'userns-remap', target: 'userns-remap', kind: 'string', usage: 'User/Group setting for user namespaces' },
  { long: 'version', short: 'v', target: 'version', kind: 'bool', usage: 'Print version information and quit' },
];

const byLong = new Map(flags.map((f) => [f.long, f]));
const byShort = new Map(flags.flatMap((f) => (f.short ? [[f.short, f] as const] : [])));
const levels: readonly DaemonLogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

/** The text of `berthd --help`. */
export function daemonUsage(): string {
  const rows = flags.map((f) => {
    const names = (f.short ? `-${f.short}, ` : '    ') + `--${f.long}` + (f.kind === 'bool' ? '' : ` ${valueName(f.kind)}`);
    return `  ${names.padEnd(32)}${f.usage}`;
  });
  return ['Usage:\tberthd [OPTIONS]', '', 'A self-sufficient runtime for containers.', '', 'Options:', ...rows, ''].join('\n');
}

const valueName = (kind: FlagKind): string =>
  ({ string: 'string', bool: '', list: 'list', map: 'map', runtime: 'runtime', level: 'string', cidr: 'string' })[kind];

/**
 * Parses berthd's argv (without node and script) the way pflag does:
 * `--flag value`, `--flag=value`, `-f value`, `-fvalue`, `-f=value`, bundled
 * boolean shorthands (`-Dp file`), `--` ends the flags. No positional arguments.
 */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  const settings: DaemonSettings = {};
  let configFile: string | undefined;
  let help = false;
  let version = false;

  const apply = (f: FlagSpec, display: string, raw: string | undefined): void => {
    if (f.kind === 'bool') {
      const on = parseBool(raw ?? 'true', display);
      if (f.target === 'help') help = on;
      else if (f.target === 'version') version = on;
      else setBool(settings, f.target, on);
      return;
    }
    if (raw === undefined) throw invalidArgument(`flag needs an argument: ${display}`);
    setValue(settings, f, raw, (v) => (configFile = v));
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      if (i + 1 < argv.length) throw noArguments();
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const f = byLong.get(name);
      if (!f) throw invalidArgument(`unknown flag: --${name}`);
      let raw = eq < 0 ? undefined : arg.slice(eq + 1);
      if (raw === undefined && f.kind !== 'bool') {
        if (i + 1 >= argv.length) throw invalidArgument(`flag needs an argument: --${name}`);
        raw = argv[++i];
      }
      apply(f, `--${name}`, raw);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      let rest = arg.slice(1);
      while (rest.length > 0) {
        const c = rest[0] ?? '';
        const f = byShort.get(c);
        if (!f) throw invalidArgument(`unknown shorthand flag: '${c}' in ${arg}`);
        rest = rest.slice(1);
        const display = `'${c}' in -${c}`;
        if (f.kind === 'bool') {
          if (rest.startsWith('=')) {
            apply(f, display, rest.slice(1));
            rest = '';
          } else apply(f, display, undefined);
          continue;
        }
        let raw: string | undefined = rest.startsWith('=') ? rest.slice(1) : rest;
        rest = '';
        if (raw === '') {
          if (i + 1 >= argv.length) throw invalidArgument(`flag needs an argument: ${display}`);
          raw = argv[++i];
        }
        apply(f, display, raw);
      }
      continue;
    }
    throw noArguments();
  }
  if (help) return { kind: 'help', usage: daemonUsage() };
  if (version) return { kind: 'version' };
  return { kind: 'run', settings, configFile };
}

const noArguments = (): Error => invalidArgument(`"berthd" accepts no arguments.\nSee 'berthd --help'.`);

function parseBool(raw: string, display: string): boolean {
  // strconv.ParseBool's spellings, which pflag accepts.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(raw)) return false;
  throw invalidArgument(`invalid argument "${raw}" for "${display}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
}

type BoolKey = { [K in keyof DaemonSettings]-?: NonNullable<DaemonSettings[K]> extends boolean ? K : never }[keyof DaemonSettings];
type StringKey = { [K in keyof DaemonSettings]-?: string extends NonNullable<DaemonSettings[K]> ? K : never }[keyof DaemonSettings];

function setBool(settings: DaemonSettings, target: Target, on: boolean): void {
  settings[target as BoolKey] = on;
}

function setValue(settings: DaemonSettings, f: FlagSpec, raw: string, setConfigFile: (v: string) => void): void {
  switch (f.kind) {
    case 'list':
      settings.hosts = [...(settings.hosts ?? []), raw];
      return;
    case 'map': {
      // dockerd's MapOpts: "k=v", or "k" alone for an empty value.
      const eq = raw.indexOf('=');
      const [k, v] = eq < 0 ? [raw, ''] : [raw.slice(0, eq), raw.slice(eq + 1)];
      settings['log-opts'] = { ...settings['log-opts'], [k]: v };
      return;
    }
    case 'runtime': {
      const [name, path] = parseRuntimeFlag(raw);
      if (settings.runtimes?.[name] !== undefined) throw invalidArgument(`runtime '${name}' was already defined`);
      const entry: RuntimeEntry = { path };
      settings.runtimes = { ...settings.runtimes, [name]: entry };
      return;
    }
    case 'level':
      settings['log-level'] = parseLogLevel(raw);
      return;
    case 'cidr':
      if (!isIpv4Cidr(raw)) throw invalidArgument(`invalid argument "${raw}" for "--${f.long}" flag: invalid CIDR address: ${raw}`);
      settings.bip = raw;
      return;
    case 'string':
      if (f.target === 'config-file') setConfigFile(raw);
      else settings[f.target as StringKey] = raw;
      return;
    case 'bool':
      return;
  }
}

function parseRuntimeFlag(raw: string): [string, string] {
  const eq = raw.indexOf('=');
  const name = (eq < 0 ? '' : raw.slice(0, eq)).trim().toLowerCase();
  const path = (eq < 0 ? '' : raw.slice(eq + 1)).trim();
  if (name === '' || path === '') throw invalidArgument(`invalid runtime argument: ${raw}`);
  return [name, path];
}

/** Accepts dockerd's log levels; "warning" is logrus' other spelling of warn. */
export function parseLogLevel(raw: string): DaemonLogLevel {
  const lower = raw.toLowerCase();
  const level: DaemonLogLevel | undefined = lower === 'warning' ? 'warn' : levels.find((l) => l === lower);
  if (level === undefined) throw invalidArgument(`invalid logging level: ${raw}`);
  return level;
}

/** `a.b.c.d/n` with octets ≤ 255 and n ≤ 32. */
export function isIpv4Cidr(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return false;
  const nums = m.slice(1).map(Number);
  return nums.slice(0, 4).every((n) => n <= 255) && (nums[4] ?? 99) <= 32;
}
