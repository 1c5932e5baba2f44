import { randomBytes } from 'node:crypto';
import { conflict, EngineError, invalidArgument, notFound } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { nowRfc3339Nano } from '../containers/container-model.js';
import { cidrString, intToIp, ipToInt, parseCidr, subnetContains, subnetsOverlap } from '../../network/ipv4.js';
import { linkExists } from '../../network/links.js';
import { bigIntToIp6, cidr6String, ip6ToBigInt, parseCidr6, subnet6Contains, subnets6Overlap } from '../../network/ipv6.js';
import { networkControllerOf } from './container-network.js';
import { allNetworks, deleteNetwork, findNetwork, insertNetwork, networkIpHolders, type NetworkRecord } from './network-repo.js';

/**
 * Operations on network objects (POST /networks/create, GET /networks,
 * DELETE /networks/{id}, POST /networks/prune). Only the bridge driver
 * creates networks; `bridge`, `host` and `none` are predefined.
 */
export interface CreateNetworkOptions {
  readonly name: string;
  readonly driver?: string;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  readonly enableIPv6?: boolean;
  readonly labels?: Record<string, string>;
  readonly options?: Record<string, string>;
  readonly ipam?: ReadonlyArray<{ subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Readonly<Record<string, string>> }>;
}

export const PREDEFINED_NETWORKS = new Set(['bridge', 'host', 'none']);

const forbidden = (message: string): EngineError => new EngineError('forbidden', message);

export function requireNetwork(ctx: EngineContext, ref: string): NetworkRecord {
  const n = findNetwork(ctx.db, ref);
  if (!n) throw notFound(`network ${ref} not found`);
  return n;
}

export async function createNetwork(ctx: EngineContext, opts: CreateNetworkOptions): Promise<NetworkRecord> {
  const controller = networkControllerOf(ctx);
  if (!controller) throw new EngineError('unavailable', 'networking is disabled in this daemon (bridge none)');
  const name = opts.name;
  if (name === '') throw invalidArgument('network name is required'); // wording of moby's create validation
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw invalidArgument(`invalid name: ${name}`);
  const driver = opts.driver === undefined || opts.driver === '' ? 'bridge' : opts.driver;
  if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
  if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
  if (PREDEFINED_NETWORKS.has(name)) throw forbidden(`operation is not permitted on predefined ${name} network`);
  if (findNetwork(ctx.db, name)?.name === name) throw conflict(`network with name ${name} already exists`);

  const all = (opts.ipam ?? []).filter((c) => (c.subnet ?? '') !== '' || (c.gateway ?? '') !== '' || (c.ipRange ?? '') !== '');
  const isV6 = (c: { subnet?: string; gateway?: string }): boolean => (c.subnet ?? '').includes(':') || (c.gateway ?? '').includes(':');
  const v6 = all.filter(isV6);
  const configs = all.filter((c) => !isV6(c));
  let subnet6 = '';
  let gateway6 = '';
  // dockerd 20.10 takes IPv6 configs without EnableIPv6: it lists them in IPAM and gives containers no IPv6.
  const unusedIpam6 = opts.enableIPv6 === true ? [] : v6.map((c) => {
    if ((c.subnet ?? '') === '') throw invalidArgument('an IPv6 gateway needs an IPv6 subnet');
    return { Subnet: cidr6String(parseCidr6(c.subnet ?? '')), ...((c.gateway ?? '') !== '' ? { Gateway: c.gateway ?? '' } : {}), ...((c.ipRange ?? '') !== '' ? { IPRange: c.ipRange ?? '' } : {}) };
  });
  if (opts.enableIPv6 === true) {
    if (v6.length > 1) throw invalidArgument('only one IPv6 IPAM config is supported');
    // Without an IPv6 --subnet, one from the IPv6 pools (a ULA /64), as Docker ≥ 27.
    const c6 = v6[0] ?? { subnet: await controller.freeSubnet6() };
    if ((c6.subnet ?? '') === '') throw invalidArgument('an IPv6 gateway needs an IPv6 subnet');
    const s6 = parseCidr6(c6.subnet ?? '');
    if (s6.prefix > 120) throw invalidArgument(`invalid subnet ${c6.subnet}: too small`);
    for (const other of allNetworks(ctx.db)) {
      if ((other.subnet6 ?? '') !== '' && subnets6Overlap(parseCidr6(other.subnet6 ?? ''), s6)) throw forbidden('Pool overlaps with other one on this address space');
    }
    subnet6 = cidr6String(s6);
    gateway6 = bigIntToIp6(s6.base + 1n);
    if ((c6.gateway ?? '') !== '') {
      const g = ip6ToBigInt(c6.gateway ?? '');
      if (!subnet6Contains(s6, g)) throw invalidArgument(`no matching subnet for gateway ${c6.gateway}`);
      gateway6 = bigIntToIp6(g);
    }
  }
  if (configs.length > 1) throw invalidArgument('only one IPv4 IPAM config is supported');
  const cfg = configs[0];
  const auxAddresses: Record<string, string> = {};
  let subnet: string;
  let gateway: string;
  let ipRange = '';
  if (cfg && (cfg.subnet ?? '') !== '') {
    if ((cfg.subnet ?? '').includes(':')) throw new EngineError('not_implemented', 'IPv6 networks are not supported by Berth yet');
    const s = parseCidr(cfg.subnet ?? '');
    if (s.prefix > 30) throw invalidArgument(`invalid subnet ${cfg.subnet}: too small`);
    subnet = cidrString(s);
    for (const other of allNetworks(ctx.db)) {
      if (other.subnet !== '' && subnetsOverlap(parseCidr(other.subnet), s)) throw forbidden('Pool overlaps with other one on this address space');
    }
    gateway = cfg.gateway ?? '';
    if (gateway === '') gateway = intToIp(s.base + 1);
    else if (!subnetContains(s, ipToInt(gateway))) throw invalidArgument(`no matching subnet for gateway ${gateway}`);
    if ((cfg.ipRange ?? '') !== '') {
      const r = parseCidr(cfg.ipRange ?? '');
      if (!subnetContains(s, r.base) || r.prefix < s.prefix) throw invalidArgument(`no matching subnet for range ${cfg.ipRange}`);
      ipRange = cidrString(r);
    }
    for (const [auxName, aux] of Object.entries(cfg.auxAddresses ?? {})) {
      // moby ipam: an auxiliary address outside the pool is a 403
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(aux) || !subnetContains(s, ipToInt(aux))) throw forbidden(`auxiliary address: (${auxName}:${aux}) must belong to the master pool: ${subnet}`);
      auxAddresses[auxName] = aux;
    }
  } else {
    if (cfg) throw invalidArgument('ip-range and gateway need a subnet'); // the CLI refuses these without --subnet too
    ({ subnet, gateway } = await controller.freeSubnet());
  }

  const id = randomBytes(32).toString('hex');
  const options = { ...(opts.options ?? {}) };
  const bridge = options['com.docker.network.bridge.name'] ?? `br-${id.slice(0, 12)}`;
  if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge)) throw invalidArgument(`invalid bridge name: ${bridge}`);
  if (allNetworks(ctx.db).some((n) => n.bridge === bridge) || (await linkExists(bridge))) throw conflict(`bridge name ${bridge} is already in use`);
  const record: NetworkRecord = {
    id,
    name,
    driver: 'bridge',
    created: nowRfc3339Nano(),
    bridge,
    subnet,
    gateway,
    ipRange,
    internal: opts.internal === true,
    labels: { ...(opts.labels ?? {}) },
    options,
    attachable: opts.attachable === true,
    subnet6,
    gateway6,
    auxAddresses,
    unusedIpam6,
  };
  insertNetwork(ctx.db, record);
  try {
    await controller.addNetwork(record);
  } catch (err) {
    deleteNetwork(ctx.db, id);
    throw err;
  }
  ctx.events.publish('network', 'create', id, { name, type: 'bridge' });
  return record;
}

/** GET /networks filters: name, id (substring/prefix as Docker), label, driver, type, dangling. */
export function listNetworks(ctx: EngineContext, filters: Map<string, string[]>): NetworkRecord[] {
  const known = new Set(['name', 'id', 'label', 'driver', 'type', 'dangling', 'scope']);
  for (const k of filters.keys()) if (!known.has(k)) throw invalidArgument(`Invalid filter '${k}'`);
  const any = (k: string, pred: (v: string) => boolean): boolean => {
    const vs = filters.get(k);
    return vs === undefined || vs.length === 0 || vs.some(pred);
  };
  for (const t of filters.get('type') ?? []) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
  return allNetworks(ctx.db).filter((n) => {
    const builtin = PREDEFINED_NETWORKS.has(n.name);
    const inUse = networkIpHolders(ctx.db, n.id).length > 0;
    return (
      any('name', (v) => n.name.includes(v)) &&
      any('id', (v) => n.id.startsWith(v)) &&
      any('driver', (v) => n.driver === v) &&
      any('scope', (v) => v === 'local') &&
      any('type', (v) => (v === 'builtin') === builtin) &&
      any('dangling', (v) => (v === 'true' || v === '1') === (!builtin && !inUse)) &&
      (filters.get('label') ?? []).every((l) => {
        const eq = l.indexOf('=');
        return eq < 0 ? l in n.labels : n.labels[l.slice(0, eq)] === l.slice(eq + 1);
      })
    );
  });
}

export async function removeNetwork(ctx: EngineContext, ref: string): Promise<void> {
  const n = requireNetwork(ctx, ref);
  if (PREDEFINED_NETWORKS.has(n.name)) throw forbidden(`${n.name} is a pre-defined network and cannot be removed`);
  if (networkIpHolders(ctx.db, n.id).length > 0) throw forbidden(`error while removing network: network ${n.name} id ${n.id} has active endpoints`);
  await networkControllerOf(ctx)?.removeNetwork(n);
  deleteNetwork(ctx.db, n.id);
  ctx.events.publish('network', 'destroy', n.id, { name: n.name, type: n.driver });
}

/** POST /networks/prune: user networks without endpoints. */
export async function pruneNetworks(ctx: EngineContext, filters: Map<string, string[]>): Promise<{ NetworksDeleted: string[] }> {
  const until = filters.get('until');
  const labelFilters = new Map(filters);
  labelFilters.delete('until');
  const deleted: string[] = [];
  for (const n of listNetworks(ctx, new Map([...labelFilters, ['type', ['custom']]]))) {
    if (until && until.length > 0 && Date.parse(n.created) >= untilMillis(until[0] ?? '')) continue;
    if (networkIpHolders(ctx.db, n.id).length > 0) continue;
    await removeNetwork(ctx, n.id);
    deleted.push(n.name);
  }
  return { NetworksDeleted: deleted };
}

function untilMillis(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const d = /^(\d+)(s|m|h)$/.exec(v);
  if (d) return Date.now() - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's' | 'm' | 'h'];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidArgument(`invalid until filter: ${v}`);
  return t;
}
