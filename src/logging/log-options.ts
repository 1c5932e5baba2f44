import { invalidArgument } from '../errors/engine-error.js';
import { builtInOptions } from './builtin-log-options.js';
import { fromHumanSize, ramInBytes } from './human-size.js';
import { parseFluentdOptions } from './fluentd-options.js';
import { parseGelfOptions } from './gelf-options.js';
import { parseSyslogOptions, syslogKeys } from './syslog-options.js';

/**
 * Log options as dockerd 20.10 checks them, in two steps like dockerd:
 * the keys at create (logger.ValidateLogOpts → the driver's ValidateLogOpt,
 * 400 and nothing created) and the values when the driver starts (the
 * driver's New(), "failed to initialize logging driver: …" at start).
 */

/** The drivers dockerd 20.10 registers (its `docker info` Plugins.Log and none). */
export const dockerdLogDrivers: ReadonlySet<string> = new Set([
  'none', 'local', 'json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries',
]);

const jsonFileKeys = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);
const localKeys = new Set(['max-size', 'max-file', 'compress']);
const journaldKeys = new Set(['labels', 'labels-regex', 'env', 'env-regex', 'tag']);

/** Create-time check of a LogConfig's driver and option keys; throws dockerd's 400 texts. */
export function validateLogOptionKeys(driver: string, config: Readonly<Record<string, string>>): void {
  if (!dockerdLogDrivers.has(driver)) throw invalidArgument(`error looking up logging plugin ${driver}: plugin "${driver}" not found`);
  if (driver === 'none') return; // dockerd: "none" takes any options (the docker CLI refuses them itself)
  const mode = config['mode'];
  if (mode !== undefined && mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') throw invalidArgument(`logger: logging mode not supported: ${mode}`);
  const maxBuffer = config['max-buffer-size'];
  if (maxBuffer !== undefined) {
    if (mode !== 'non-blocking') throw invalidArgument("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    if (ramInBytes(maxBuffer) === undefined) throw invalidArgument(`error parsing option max-buffer-size: invalid size: '${maxBuffer}'`);
  }
  for (const key of Object.keys(config)) {
    if (builtInOptions.has(key)) continue;
    if (driver === 'json-file' && !jsonFileKeys.has(key)) throw invalidArgument(`unknown log opt '${key}' for json-file log driver`);
    if (driver === 'local' && !localKeys.has(key)) throw invalidArgument(`unknown log opt '${key}' for log driver local`);
    if (driver === 'syslog' && !syslogKeys.has(key)) throw invalidArgument(`unknown log opt '${key}' for syslog log driver`);
    if (driver === 'journald' && !journaldKeys.has(key)) throw invalidArgument(`unknown log opt '${key}' for journald log driver`);
  }
  if (driver === 'syslog') parseSyslogOptions(config);
  if (driver === 'gelf') parseGelfOptions(config);
  if (driver === 'fluentd') parseFluentdOptions(config);
  if (!['json-file', 'local', 'syslog', 'gelf', 'journald', 'fluentd'].includes(driver)) {
    throw invalidArgument(`logging driver "${driver}" is not supported by berth yet; use json-file, local, syslog, gelf, fluentd or none`);
  }
}

/** How a file driver writes: the values its New() derives from the options. */
export interface FileLogLimits {
  /** Bytes; -1 for no rotation. */
  readonly maxSize: number;
  readonly maxFile: number;
  readonly compress: boolean;
}

const initFailed = (msg: string): Error => invalidArgument(`failed to initialize logging driver: ${msg}`);

/** Go strconv.Atoi / ParseBool texts. */
function atoi(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw initFailed(`strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}
function parseBool(v: string, prefix = ''): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw initFailed(`${prefix}strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/**
 * Berth's built-in limit for json-file logs configured with neither max-size
 * nor max-file (by the container or the daemon's log-opts): 20 MB × 5 files,
 * at most 100 MB per container. dockerd keeps such logs unbounded (moby#27957);
 * inspect still shows the container's own LogConfig ({"Type":"json-file","Config":{}}).
 */
export const BUILT_IN_JSON_FILE_ROTATION = { maxSize: 20 * 1024 * 1024, maxFile: 5 } as const;

/** The `docker info` warning that says so, while the daemon's defaults leave it in force. */
export function builtInRotationWarning(logDriver: string, logOpts: Readonly<Record<string, string>>): string | undefined {
  if (logDriver !== 'json-file' || logOpts['max-size'] !== undefined || logOpts['max-file'] !== undefined) return undefined;
  return 'WARNING: json-file logs are rotated at 20 MB × 5 files (100 MB per container) by default; set max-size/max-file in log-opts to change it';
}

/** dockerd jsonfilelog.New's value checks and texts, then Berth's built-in rotation when nothing bounds the log. */
export function jsonFileLimits(config: Readonly<Record<string, string>>): FileLogLimits {
  let maxSize = -1;
  const size = config['max-size'];
  if (size !== undefined) {
    const n = fromHumanSize(size);
    if (n === undefined) throw initFailed(`invalid size: '${size}'`);
    if (n <= 0) throw initFailed('max-size must be a positive number');
    maxSize = n;
  }
  let maxFile = 1;
  if (config['max-file'] !== undefined) {
    maxFile = atoi(config['max-file']);
    if (maxFile < 1) throw initFailed('max-file cannot be less than 1');
  }
  let compress = false;
  if (config['compress'] !== undefined) {
    compress = parseBool(config['compress']);
    if (compress && (maxFile === 1 || maxSize === -1)) throw initFailed('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  if (size === undefined && config['max-file'] === undefined) return { ...BUILT_IN_JSON_FILE_ROTATION, compress: false };
  return { maxSize, maxFile, compress };
}

/** dockerd local.New: 20 MB × 5 files, compressed, unless told otherwise (daemon/logger/local/config.go). */
export function localLimits(config: Readonly<Record<string, string>>): FileLogLimits {
  let maxSize = 20 * 1024 * 1024;
  const size = config['max-size'];
  if (size !== undefined) {
    const n = fromHumanSize(size);
    if (n === undefined) throw initFailed(`invalid value for max-size: ${size}: invalid size: '${size}'`);
    maxSize = n;
  }
  let maxFile = 5;
  if (config['max-file'] !== undefined) {
    const v = config['max-file'];
    if (!/^[+-]?\d+$/.test(v)) throw initFailed(`invalid value for max-file: ${v}: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    maxFile = Number(v);
  }
  let compress = true;
  if (config['compress'] !== undefined) compress = parseBool(config['compress'], 'error reading compress log option: ');
  if (maxFile < 0) throw initFailed('max-file cannot be less than 0');
  if (compress && maxFile <= 1) throw initFailed('compression cannot be enabled when max file count is 1');
  // dockerd local: a max-size of 0 means no rotation at all.
  return { maxSize: maxSize <= 0 ? -1 : maxSize, maxFile: Math.max(maxFile, 1), compress };
}

/** Dual logging's local cache (dockerd loggerutils/cache): the local driver's limits from the cache-* options. */
export function cacheLimits(config: Readonly<Record<string, string>>): FileLogLimits {
  const local: Record<string, string> = {};
  if (config['cache-max-size'] !== undefined) local['max-size'] = config['cache-max-size'];
  if (config['cache-max-file'] !== undefined) local['max-file'] = config['cache-max-file'];
  if (config['cache-compress'] !== undefined) local['compress'] = config['cache-compress'];
  return localLimits(local);
}

/** mode=non-blocking: the bytes of output that may wait for the writer (dockerd's ring, max-buffer-size, default 1 MB); 0 for blocking. */
export function ringBytes(config: Readonly<Record<string, string>>): number {
  if (config['mode'] !== 'non-blocking') return 0;
  const v = config['max-buffer-size'];
  return v === undefined ? 1_000_000 : Math.max(ramInBytes(v) ?? 1_000_000, 1);
}
