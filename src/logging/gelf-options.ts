import { invalidArgument } from '../errors/engine-error.js';
import { builtInOptions } from './builtin-log-options.js';

/** dockerd 20.10 daemon/logger/gelf ValidateLogOpt: keys and their texts (note the double quotes). */
const gelfKeys = new Set([
  'gelf-address', 'gelf-compression-type', 'gelf-compression-level', 'gelf-tcp-max-reconnect', 'gelf-tcp-reconnect-delay',
  'tag', 'labels', 'labels-regex', 'env', 'env-regex',
]);

export interface GelfTarget {
  /** berth-logger's -gelf value: `udp:HOST:PORT` or `tcp:HOST:PORT`. */
  readonly address: string;
  readonly compression: 'gzip' | 'zlib' | 'none';
  readonly level: number;
  readonly maxReconnect: number;
  readonly reconnectDelay: number;
}

export function parseGelfOptions(config: Readonly<Record<string, string>>): GelfTarget {
  for (const key of Object.keys(config)) {
    if (!gelfKeys.has(key) && !builtInOptions.has(key)) throw invalidArgument(`unknown log opt "${key}" for gelf log driver`);
  }
  const raw = config['gelf-address'];
  if (raw === undefined || raw === '') throw invalidArgument('gelf-address is a required parameter');
  const m = /^(tcp|udp|unix|tcp\+tls|unixgram):\/\/(.*)$/.exec(raw);
  if (!m?.[1]) throw invalidArgument(`gelf-address should be in form proto://address, got ${raw}`);
  const scheme = m[1];
  if (scheme !== 'tcp' && scheme !== 'udp') throw invalidArgument('gelf: endpoint needs to be TCP or UDP');
  const hp = /^(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d+)\/?$/.exec(m[2] ?? '');
  if (!hp) throw invalidArgument('gelf: please provide gelf-address as proto://host:port');
  const bad = (key: string): Error => invalidArgument(`unknown value "${config[key] ?? ''}" for log opt "${key}" for gelf log driver`);
  const intOpt = (key: string): number | undefined => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) return Number.NaN;
    return Number(v);
  };
  let compression: GelfTarget['compression'] = 'gzip';
  let level = 1;
  if (scheme === 'udp') {
    for (const k of ['gelf-tcp-max-reconnect', 'gelf-tcp-reconnect-delay']) if (config[k] !== undefined) throw invalidArgument(`"${k}" is only valid for TCP`);
    const ct = config['gelf-compression-type'];
    if (ct !== undefined) {
      if (ct !== 'gzip' && ct !== 'zlib' && ct !== 'none') throw bad('gelf-compression-type');
      compression = ct;
    }
    const lv = intOpt('gelf-compression-level');
    if (lv !== undefined) {
      if (Number.isNaN(lv) || lv < -1 || lv > 9) throw bad('gelf-compression-level');
      level = lv;
    }
  } else {
    if (config['gelf-compression-type'] !== undefined || config['gelf-compression-level'] !== undefined) throw invalidArgument('compression is only supported on UDP');
    compression = 'none';
  }
  const mr = intOpt('gelf-tcp-max-reconnect');
  if (mr !== undefined && (Number.isNaN(mr) || mr < 0)) throw invalidArgument('"gelf-tcp-max-reconnect" must be a positive integer');
  const rd = intOpt('gelf-tcp-reconnect-delay');
  if (rd !== undefined && (Number.isNaN(rd) || rd < 0)) throw invalidArgument('"gelf-tcp-reconnect-delay" must be a positive integer');
  return { address: `${scheme}:${hp[1] ?? ''}:${hp[2] ?? ''}`, compression, level, maxReconnect: mr ?? 3, reconnectDelay: rd ?? 1 };
}
