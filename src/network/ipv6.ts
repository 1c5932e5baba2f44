import { invalidArgument } from '../errors/engine-error.js';

/** An IPv6 subnet: network address as a 128-bit integer and prefix length. */
export interface Ipv6Subnet {
  readonly base: bigint;
  readonly prefix: number;
}

export function ip6ToBigInt(ip: string): bigint {
  if (!/^[0-9a-fA-F:]+$/.test(ip) || (ip.match(/::/g) ?? []).length > 1) throw invalidArgument(`invalid IPv6 address: ${ip}`);
  const [head = '', tail] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw invalidArgument(`invalid IPv6 address: ${ip}`);
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
}

/** Compressed text form (RFC 5952: the longest run of zero groups becomes ::). */
export function bigIntToIp6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parseCidr6(cidr: string): Ipv6Subnet {
  const [addr = '', len = ''] = cidr.split('/');
  const prefix = Number(len);
  if (!/^\d{1,3}$/.test(len) || prefix > 128) throw invalidArgument(`invalid CIDR address: ${cidr}`);
  const hostBits = BigInt(128 - prefix);
  return { base: (ip6ToBigInt(addr) >> hostBits) << hostBits, prefix };
}

export function cidr6String(s: Ipv6Subnet): string {
  return `${bigIntToIp6(s.base)}/${s.prefix}`;
}

export function subnet6Contains(s: Ipv6Subnet, ip: bigint): boolean {
  return ip >> BigInt(128 - s.prefix) === s.base >> BigInt(128 - s.prefix);
}

export function subnets6Overlap(a: Ipv6Subnet, b: Ipv6Subnet): boolean {
  const p = BigInt(128 - Math.min(a.prefix, b.prefix));
  return a.base >> p === b.base >> p;
}
