// Picks free IPv4 and IPv6 subnets for new networks from the address pools, avoiding host routes and this daemon's other networks.
import { createHash } from 'node:crypto';
import { conflict } from '../../errors/engine-error.js';
import { cidrString, intToIp, parseCidr, subnetSize, subnetsOverlap, type Ipv4Subnet } from '../../network/ipv4.js';
import { cidr6String, parseCidr6, subnets6Overlap, type Ipv6Subnet } from '../../network/ipv6.js';
import { hostRoutes, hostRoutes6 } from '../../network/links.js';
import type { Db } from '../../store/database.js';
import type { NetworkControllerOptions } from './network-controller-options.js';
import { allNetworks } from './network-repo.js';

export interface SubnetPoolOptions extends Pick<NetworkControllerOptions, 'bridge' | 'addressPools'> {
  /** With the bridge name, the seed of this daemon's own ULA /48. */
  readonly execRoot: string;
}

/** Where free subnets are taken from, /24 at a time, skipping any in use on the host or by other networks. */
const POOL_START = (10 << 24) + (88 << 16);
const POOL_END = (10 << 24) + (100 << 16);

const NO_FREE_IPV4 = 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network';

/** Subnets of this daemon's networks (other bridges on the host show in its routes). */
export function subnetsInUse(db: Db): string[] {
  return allNetworks(db).map((n) => n.subnet).filter((s) => s !== '');
}

/** The first /24 of the pool (or subnet of a default-address-pools entry) that overlaps no host route and no network of ours. */
export async function freeSubnet(db: Db, opts: SubnetPoolOptions): Promise<{ subnet: string; gateway: string }> {
  const taken = [...(await hostRoutes()), ...subnetsInUse(db)].map(parseCidr);
  const free = (candidate: Ipv4Subnet): boolean => !taken.some((t) => t.prefix > 0 && subnetsOverlap(t, candidate));
  const pools4 = (opts.addressPools ?? []).filter((p) => !p.base.includes(':'));
  if (pools4.length > 0) {
    for (const pool of pools4) {
      const p = parseCidr(pool.base);
      if (pool.size < p.prefix || pool.size > 30) continue;
      const step = subnetSize({ base: 0, prefix: pool.size });
      for (let base = p.base; base < p.base + subnetSize(p); base += step) {
        const candidate = { base, prefix: pool.size };
        if (free(candidate)) return { subnet: cidrString(candidate), gateway: intToIp(base + 1) };
      }
    }
    throw conflict(NO_FREE_IPV4);
  }
  const count = (POOL_END - POOL_START) / 256;
  // Daemons with other bridge names (test daemons) start at a spot of their own, so two starting at once rarely race for the same /24.
  let offset = 0;
  if (opts.bridge !== 'berth0') for (const ch of opts.bridge) offset = (offset * 31 + ch.charCodeAt(0)) % count;
  for (let i = 0; i < count; i++) {
    const base = POOL_START + ((offset + i) % count) * 256;
    const candidate = { base, prefix: 24 };
    if (free(candidate)) return { subnet: cidrString(candidate), gateway: intToIp(base + 1) };
  }
  throw conflict(NO_FREE_IPV4);
}

/**
 * An IPv6 subnet for a network created with --ipv6 and no IPv6 --subnet
 * (Docker ≥ 27): from an IPv6 entry of default-address-pools, else a /64
 * of a ULA /48 (RFC 4193: fd + 40-bit global id) of this daemon's own;
 * never overlapping a host route or another network of ours.
 */
export async function freeSubnet6(db: Db, opts: SubnetPoolOptions): Promise<string> {
  const taken: Ipv6Subnet[] = [];
  for (const r of await hostRoutes6()) taken.push(parseCidr6(r));
  for (const n of allNetworks(db)) if ((n.subnet6 ?? '') !== '') taken.push(parseCidr6(n.subnet6 ?? ''));
  const free = (c: Ipv6Subnet): boolean => !taken.some((t) => t.prefix > 0 && subnets6Overlap(t, c));
  const pools6 = (opts.addressPools ?? []).filter((p) => p.base.includes(':'));
  const globalId = createHash('sha256').update(`berth-ula:${opts.bridge}:${opts.execRoot}`).digest().subarray(0, 5).toString('hex');
  const pools = pools6.length > 0 ? pools6 : [{ base: `fd${globalId.slice(0, 2)}:${globalId.slice(2, 6)}:${globalId.slice(6, 10)}::/48`, size: 64 }];
  for (const pool of pools) {
    const p = parseCidr6(pool.base);
    if (pool.size < p.prefix || pool.size > 120) continue;
    const step = 1n << BigInt(128 - pool.size);
    const count = 1n << BigInt(Math.min(pool.size - p.prefix, 16));
    for (let i = 0n; i < count; i++) {
      const candidate = { base: p.base + i * step, prefix: pool.size };
      if (free(candidate)) return cidr6String(candidate);
    }
  }
  throw conflict('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
}
