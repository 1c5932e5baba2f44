import { isAbsolute, resolve } from 'node:path';
import { ComposeError } from './compose-error.js';
import type { PortMapping, VolumeMount } from './project-model.js';
import { shellWords } from './shell-words.js';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const scalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

export function asRecord(v: unknown, where: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) throw new ComposeError(`${where} must be a mapping`);
  return v;
}

export function asString(v: unknown, where: string): string {
  if (!scalar(v)) throw new ComposeError(`${where} must be a string`);
  return String(v);
}

export function asStringList(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) throw new ComposeError(`${where} must be a list`);
  return v.map((x, i) => asString(x, `${where}[${i}]`));
}

/** `command`/`entrypoint`: a list is taken as is, a string is split like a shell would. */
export function parseCommand(v: unknown, where: string): string[] {
  if (typeof v === 'string') return shellWords(v);
  return asStringList(v, where);
}

/** `environment`/`labels`: list of `K=V` (or bare `K`) or a mapping. Bare keys take `env`'s value, else null. */
export function parseKeyValues(v: unknown, where: string, env?: Readonly<Record<string, string | undefined>>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (v === undefined || v === null) return out;
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = asString(item, `${where}[${i}]`);
      const eq = s.indexOf('=');
      if (eq >= 0) out[s.slice(0, eq)] = s.slice(eq + 1);
      else out[s] = env?.[s] ?? null;
    });
    return out;
  }
  for (const [k, x] of Object.entries(asRecord(v, where))) {
    out[k] = x === null || x === undefined ? (env?.[k] ?? null) : asString(x, `${where}.${k}`);
  }
  return out;
}

/** Short (`[ip:][host:]container[/proto]`) and long port syntax; ranges are not part of this slice. */
export function parsePort(v: unknown, where: string): PortMapping {
  if (isRecord(v)) {
    const target = Number(v['target']);
    if (!Number.isInteger(target)) throw new ComposeError(`${where}.target must be a port number`);
    const protocol = protocolOf(v['protocol'] === undefined ? 'tcp' : asString(v['protocol'], `${where}.protocol`), where);
    return {
      target,
      protocol,
      ...(v['published'] !== undefined ? { published: asString(v['published'], `${where}.published`) } : {}),
      ...(v['host_ip'] !== undefined ? { host_ip: asString(v['host_ip'], `${where}.host_ip`) } : {}),
    };
  }
  const s = asString(v, where);
  const [spec = '', proto = 'tcp'] = s.split('/');
  const parts = spec.split(':');
  const target = Number(parts.pop());
  if (!Number.isInteger(target) || target <= 0 || target > 65535) throw new ComposeError(`${where}: invalid port "${s}"`);
  const published = parts.pop();
  const hostIp = parts.length > 0 ? parts.join(':').replace(/^\[|\]$/g, '') : undefined;
  return {
    target,
    protocol: protocolOf(proto, where),
    ...(published !== undefined && published !== '' ? { published } : {}),
    ...(hostIp ? { host_ip: hostIp } : {}),
  };
}

function protocolOf(p: string, where: string): PortMapping['protocol'] {
  if (p === 'tcp' || p === 'udp' || p === 'sctp') return p;
  throw new ComposeError(`${where}: invalid protocol "${p}"`);
}

/** Short (`src:dst[:ro]`, `dst`) and long volume syntax. A source starting with `.`, `/` or `~` is a bind. */
export function parseVolumeMount(v: unknown, where: string, workingDir: string, home: string | undefined): VolumeMount {
  const bindSource = (src: string): string => {
    const expanded = src === '~' || src.startsWith('~/') ? `${home ?? '~'}${src.slice(1)}` : src;
    return isAbsolute(expanded) ? expanded : resolve(workingDir, expanded);
  };
  if (isRecord(v)) {
    for (const k of Object.keys(v)) {
      if (!['type', 'source', 'target', 'read_only'].includes(k)) throw new ComposeError(`${where}: unsupported volume key "${k}"`);
    }
    const type = asString(v['type'], `${where}.type`);
    const target = asString(v['target'], `${where}.target`);
    const readOnly = v['read_only'] === true;
    if (type === 'bind') return { type, source: bindSource(asString(v['source'], `${where}.source`)), target, read_only: readOnly };
    if (type === 'volume') return { type, target, read_only: readOnly, ...(v['source'] !== undefined ? { source: asString(v['source'], `${where}.source`) } : {}) };
    throw new ComposeError(`${where}: unsupported volume type "${type}"`);
  }
  const s = asString(v, where);
  const parts = s.split(':');
  if (parts.length === 1) return { type: 'volume', target: s, read_only: false };
  const [src = '', target = '', mode = 'rw'] = parts;
  if (parts.length > 3 || target === '') throw new ComposeError(`${where}: invalid volume specification "${s}"`);
  const readOnly = mode.split(',').includes('ro');
  if (/^[.~/]/.test(src)) return { type: 'bind', source: bindSource(src), target, read_only: readOnly };
  return { type: 'volume', source: src, target, read_only: readOnly };
}
