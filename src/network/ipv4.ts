import { invalidArgument } from '../errors/engine-error.js';

/** An IPv4 subnet as integers: network address and prefix length. */
export interface Ipv4Subnet {
  readonly base: number;
  readonly prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw invalidArgument(`invalid IP address: ${ip}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw invalidArgument(`invalid IP address: ${ip}`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** "10.88.0.1/24" → the subnet 10.88.0.0/24 (host bits cleared). */
export function parseCidr(cidr: string): Ipv4Subnet {
  const [addr = '', len = ''] = cidr.split('/');
  const prefix = Number(len);
  if (!/^\d{1,2}$/.test(len) || prefix > 32) throw invalidArgument(`invalid CIDR address: ${cidr}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipToInt(addr) & mask) >>> 0, prefix };
}

export function cidrString(s: Ipv4Subnet): string {
  return `${intToIp(s.base)}/${s.prefix}`;
}

export function subnetSize(s: Ipv4Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function subnetContains(s: Ipv4Subnet, ip: number): boolean {
  return ip >= s.base && ip < s.base + subnetSize(s);
}

export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  return a.base < b.base + subnetSize(b) && b.base < a.base + subnetSize(a);
}

/** Docker's MAC for an IPv4 endpoint: 02:42 followed by the four address bytes. */
export function macForIp(ip: string): string {
  const n = ipToInt(ip);
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
