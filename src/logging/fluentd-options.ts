import { invalidArgument } from '../errors/engine-error.js';
import { builtInOptions } from './builtin-log-options.js';
import { ramInBytes } from './human-size.js';

/** dockerd 20.10 daemon/logger/fluentd: option keys. */
const fluentdKeys = new Set([
  'env', 'env-regex', 'labels', 'labels-regex', 'tag', 'fluentd-address', 'fluentd-buffer-limit', 'fluentd-retry-wait',
  'fluentd-max-retries', 'fluentd-sub-second-precision', 'fluentd-async-connect', 'fluentd-async', 'fluentd-request-ack',
]);

export interface FluentdTarget {
  /** berth-logger's -fluentd value: `tcp:HOST:PORT` or `unix:PATH`. */
  readonly address: string;
  readonly async: boolean;
  readonly subSecond: boolean;
  readonly requestAck: boolean;
  readonly bufferLimit: number;
  readonly retryWaitMs: number;
  readonly maxRetries: number;
}

const parseBool = (v: string): boolean => {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw invalidArgument(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
};

/** Go time.ParseDuration → milliseconds. */
function durationMs(v: string): number {
  const units: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (v === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== v.length) throw invalidArgument(`time: invalid duration ${JSON.stringify(v)}`);
  return total;
}

/** dockerd fluentd.ValidateLogOpt + parseConfig/parseAddress: texts as dockerd's. */
export function parseFluentdOptions(config: Readonly<Record<string, string>>): FluentdTarget {
  for (const key of Object.keys(config)) {
    if (!fluentdKeys.has(key) && !builtInOptions.has(key)) throw invalidArgument(`unknown log opt '${key}' for fluentd log driver`);
  }
  const address = parseAddress(config['fluentd-address'] ?? '');
  const limitText = config['fluentd-buffer-limit'];
  const bufferLimit = limitText !== undefined ? ramInBytes(limitText) : 1024 * 1024;
  if (bufferLimit === undefined) throw invalidArgument(`invalid size: '${limitText ?? ''}'`);
  const retryWaitMs = config['fluentd-retry-wait'] !== undefined ? durationMs(config['fluentd-retry-wait']) : 1000;
  let maxRetries = 2 ** 31 - 1;
  const mr = config['fluentd-max-retries'];
  if (mr !== undefined) {
    if (!/^\d+$/.test(mr)) throw invalidArgument(`strconv.ParseUint: parsing ${JSON.stringify(mr)}: invalid syntax`);
    maxRetries = Number(mr);
  }
  const flag = (k: string): boolean => (config[k] !== undefined ? parseBool(config[k]) : false);
  const async = flag('fluentd-async') || flag('fluentd-async-connect');
  return { address, async, subSecond: flag('fluentd-sub-second-precision'), requestAck: flag('fluentd-request-ack'), bufferLimit, retryWaitMs, maxRetries };
}

function parseAddress(given: string): string {
  if (given === '') return 'tcp:127.0.0.1:24224';
  let address = given;
  let protocol = 'tcp';
  const m = /^(tcp|tcp\+tls|udp|unix|unixgram):\/\/(.*)$/.exec(given);
  if (m?.[1]) {
    if (m[1] === 'unix' || m[1] === 'unixgram') {
      if (m[1] === 'unixgram') throw invalidArgument('fluentd-address unixgram:// is not supported by berth yet');
      const path = (m[2] ?? '').replace(/[?#].*$/, '');
      // dockerd dials unix sockets only at start ("dial unix …: connect: no such file or directory").
      return `unix:${path}`;
    }
    if (m[1] !== 'tcp') throw invalidArgument(`fluentd-address ${m[1]}:// is not supported by berth yet`);
    protocol = m[1];
    address = (m[2] ?? '').replace(/\/.*$/, '');
  }
  const colons = (address.match(/:/g) ?? []).length;
  if (!address.startsWith('[') && colons > 1) throw invalidArgument(`invalid fluentd-address ${given}: address ${address}: too many colons in address`);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(address);
  const host = hp?.[1] ?? '';
  const port = hp?.[2];
  if (port === undefined) return `${protocol}:${host}:24224`;
  if (!/^[+-]?\d+$/.test(port)) throw invalidArgument(`invalid fluentd-address ${given}: strconv.Atoi: parsing ${JSON.stringify(port)}: invalid syntax`);
  return `${protocol}:${host}:${port}`;
}
