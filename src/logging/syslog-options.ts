import { statSync } from 'node:fs';
import { invalidArgument } from '../errors/engine-error.js';

/** dockerd 20.10 daemon/logger/syslog: option keys (plus the built-in mode/max-buffer-size/cache-*). */
export const syslogKeys: ReadonlySet<string> = new Set([
  'env', 'env-regex', 'labels', 'labels-regex', 'syslog-address', 'syslog-facility', 'syslog-tls-ca-cert', 'syslog-tls-cert',
  'syslog-tls-key', 'syslog-tls-skip-verify', 'tag', 'syslog-format',
]);

const facilities: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

export interface SyslogTarget {
  /** berth-logger's -syslog value: `udp:HOST:PORT`, `tcp:HOST:PORT`, `tls:HOST:PORT`, `unix:PATH`, `unixgram:PATH`, or '' (the local syslog socket). */
  readonly address: string;
  readonly facility: number;
  readonly format: '' | 'rfc3164' | 'rfc5424' | 'rfc5424micro';
  /** tcp+tls: syslog-tls-ca-cert, -cert, -key, -skip-verify. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly skipVerify: boolean };
}

/** dockerd syslog.ValidateLogOpt + parseAddress/parseFacility/parseLogFormat: create-time checks and their texts. */
export function parseSyslogOptions(config: Readonly<Record<string, string>>): SyslogTarget {
  const address = parseAddress(config['syslog-address'] ?? '');
  const fac = config['syslog-facility'];
  let facility = 3;
  if (fac !== undefined && fac !== '') {
    const named = facilities[fac];
    if (named !== undefined) facility = named;
    else if (/^\d+$/.test(fac) && Number(fac) <= 23) facility = Number(fac);
    else throw invalidArgument('invalid syslog facility');
  }
  const f = config['syslog-format'] ?? '';
  if (f !== '' && f !== 'rfc3164' && f !== 'rfc5424' && f !== 'rfc5424micro') throw invalidArgument('Invalid syslog format');
  const skip = config['syslog-tls-skip-verify'];
  const tls = address.startsWith('tls:')
    ? {
        ...(config['syslog-tls-ca-cert'] ? { ca: config['syslog-tls-ca-cert'] } : {}),
        ...(config['syslog-tls-cert'] ? { cert: config['syslog-tls-cert'] } : {}),
        ...(config['syslog-tls-key'] ? { key: config['syslog-tls-key'] } : {}),
        skipVerify: skip !== undefined && skip !== '' && skip !== 'false',
      }
    : undefined;
  return { address, facility, format: f, ...(tls ? { tls } : {}) };
}

function parseAddress(address: string): string {
  if (address === '') return '';
  const m = /^(tcp|tcp\+tls|udp|unix|unixgram):\/\/(.*)$/.exec(address);
  if (!m?.[1]) throw invalidArgument(`syslog-address should be in form proto://address, got ${address}`);
  const scheme = m[1];
  const rest = m[2] ?? '';
  if (scheme === 'unix' || scheme === 'unixgram') {
    const path = rest.replace(/[?#].*$/, '');
    try {
      statSync(path);
    } catch {
      throw invalidArgument(`stat ${path}: no such file or directory`);
    }
    return `${scheme}:${path}`;
  }
  const host = rest.replace(/\/.*$/, '');
  // Go net.SplitHostPort: a missing port takes syslog's 514; anything else after the host is url.Parse's error.
  const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::(.*))?$/.exec(host);
  if (!hp) throw invalidArgument(`parse "${address}": invalid port after host`);
  const port = hp[2];
  if (port !== undefined && !/^\d*$/.test(port)) throw invalidArgument(`parse "${address}": invalid port ":${port}" after host`);
  return `${scheme === 'tcp+tls' ? 'tls' : scheme}:${hp[1] ?? ''}:${port === undefined || port === '' ? '514' : port}`;
}
