import type { Port } from '../../client/wire-types.js';

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split('/');
  let type = parts[0] ?? '';
  let ip = '';
  if (parts.length > 1) {
    ip = parts[0] ?? '';
    type = parts[1] ?? '';
  }
  let group = String(first);
  if (first !== last) group = `${group}-${last}`;
  if (ip !== '') group = `${ip}${group}->${group}`;
  return `${group}/${type}`;
}

function comparePorts(a: Port, b: Port): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  const aip = a.IP ?? '';
  const bip = b.IP ?? '';
  if (aip !== bip) return aip < bip ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

/** docker ps PORTS: consecutive ports grouped into ranges, then host mappings ("0.0.0.0:8080->80/tcp"). */
export function displayablePorts(ports: readonly Port[]): string {
  const sorted = [...ports].sort(comparePorts);
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const port of sorted) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if (port.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(port.IP, String(port.PublicPort ?? 0))}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${joinHostPort(port.IP, '')}/${port.Type}`;
    }
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === group.last + 1) {
      group.last = current;
      continue;
    }
    result.push(formGroup(key, group.first, group.last));
    group.first = current;
    group.last = current;
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}
