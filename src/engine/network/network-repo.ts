import type { Db } from '../../store/database.js';
import { conflict, invalidArgument } from '../../errors/engine-error.js';
import { intToIp, ipToInt, parseCidr, subnetContains, subnetSize } from '../../network/ipv4.js';

/** A network as the engine keeps it (rows of `networks`). */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: 'bridge' | 'host' | 'null';
  created: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange: string;
  internal: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  attachable?: boolean;
  /** IPv6 (EnableIPv6 with an IPv6 subnet); '' or absent = none. */
  subnet6?: string;
  gateway6?: string;
  /** IPAM AuxiliaryAddresses (IPv4): addresses the allocator never hands out. */
  auxAddresses?: Record<string, string>;
  /** IPv6 IPAM configs given without EnableIPv6: dockerd keeps and lists them, containers get no IPv6. */
  unusedIpam6?: Array<{ Subnet: string; Gateway?: string; IPRange?: string }>;
}

interface NetworkRow {
  id: string;
  name: string;
  driver: string;
  created: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ip_range: string;
  internal: number;
  attachable?: number;
  labels_json: string;
  options_json: string;
  subnet6?: string;
  gateway6?: string;
  aux_json?: string;
  ipam6_unused_json?: string;
}

const fromRow = (r: NetworkRow): NetworkRecord => ({
  id: r.id,
  name: r.name,
  driver: r.driver as NetworkRecord['driver'],
  created: r.created,
  bridge: r.bridge,
  subnet: r.subnet,
  gateway: r.gateway,
  ipRange: r.ip_range,
  internal: r.internal === 1,
  labels: JSON.parse(r.labels_json) as Record<string, string>,
  options: JSON.parse(r.options_json) as Record<string, string>,
  attachable: r.attachable === 1,
  subnet6: r.subnet6 ?? '',
  gateway6: r.gateway6 ?? '',
  auxAddresses: JSON.parse(r.aux_json ?? '{}') as Record<string, string>,
  unusedIpam6: JSON.parse(r.ipam6_unused_json ?? '[]') as NonNullable<NetworkRecord['unusedIpam6']>,
});

export function allNetworks(db: Db): NetworkRecord[] {
  return (db.prepare('SELECT * FROM networks ORDER BY created').all() as NetworkRow[]).map(fromRow);
}

export function networkByName(db: Db, name: string): NetworkRecord | undefined {
  const r = db.prepare('SELECT * FROM networks WHERE name = ?').get(name) as NetworkRow | undefined;
  return r ? fromRow(r) : undefined;
}

/** Docker's lookup order: full id, exact name, unique id prefix. */
export function findNetwork(db: Db, ref: string): NetworkRecord | undefined {
  const byId = db.prepare('SELECT * FROM networks WHERE id = ?').get(ref) as NetworkRow | undefined;
  if (byId) return fromRow(byId);
  const byName = networkByName(db, ref);
  if (byName) return byName;
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  const rows = db.prepare("SELECT * FROM networks WHERE id LIKE ? || '%'").all(ref) as NetworkRow[];
  return rows.length === 1 && rows[0] ? fromRow(rows[0]) : undefined;
}

export function insertNetwork(db: Db, n: NetworkRecord): void {
  db.prepare(
    `INSERT INTO networks (id, name, driver, created, bridge, subnet, gateway, ip_range, internal, labels_json, options_json, attachable, subnet6, gateway6, aux_json, ipam6_unused_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(n.id, n.name, n.driver, n.created, n.bridge, n.subnet, n.gateway, n.ipRange, n.internal ? 1 : 0, JSON.stringify(n.labels), JSON.stringify(n.options), n.attachable === true ? 1 : 0, n.subnet6 ?? '', n.gateway6 ?? '', JSON.stringify(n.auxAddresses ?? {}), JSON.stringify(n.unusedIpam6 ?? []));
}

export function updateNetworkAddressing(db: Db, id: string, subnet: string, gateway: string): void {
  db.prepare('UPDATE networks SET subnet = ?, gateway = ? WHERE id = ?').run(subnet, gateway, id);
}

export function deleteNetwork(db: Db, id: string): void {
  db.prepare('DELETE FROM networks WHERE id = ?').run(id);
}

/**
 * IPAM: the lowest free address of the network's range (or `wanted`),
 * recorded for the container in the same transaction. Network and
 * broadcast addresses and the gateway are never handed out.
 */
export function allocateIp(db: Db, n: NetworkRecord, containerId: string, wanted?: string): string {
  return db.transaction(() => {
    const existing = db.prepare('SELECT ip FROM network_ips WHERE network_id = ? AND container_id = ?').get(n.id, containerId) as { ip: string } | undefined;
    if (existing) return existing.ip;
    const subnet = parseCidr(n.subnet);
    const range = n.ipRange !== '' ? parseCidr(n.ipRange) : subnet;
    const used = new Set((db.prepare('SELECT ip FROM network_ips WHERE network_id = ?').all(n.id) as Array<{ ip: string }>).map((r) => r.ip));
    used.add(n.gateway);
    for (const aux of Object.values(n.auxAddresses ?? {})) used.add(aux);
    let ip: string | undefined;
    if (wanted !== undefined && wanted !== '') {
      if (!subnetContains(subnet, ipToInt(wanted))) throw invalidArgument(`no configured subnet or ip-range contain the IP address ${wanted}`);
      if (used.has(wanted)) throw conflict(`Address already in use`);
      ip = wanted;
    } else {
      const last = subnet.base + subnetSize(subnet) - 1;
      for (let a = Math.max(range.base, subnet.base + 1); a < range.base + subnetSize(range) && a < last; a++) {
        const candidate = intToIp(a);
        if (!used.has(candidate)) {
          ip = candidate;
          break;
        }
      }
      if (ip === undefined) throw conflict(`no available IPv4 addresses on this network's address pools: ${n.name} (${n.id})`);
    }
    db.prepare('INSERT INTO network_ips (network_id, ip, container_id) VALUES (?, ?, ?)').run(n.id, ip, containerId);
    return ip;
  })();
}

export function releaseIp(db: Db, containerId: string, networkId: string): void {
  db.prepare('DELETE FROM network_ips WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
}

/** Containers holding an address on the network (its active endpoints). */
export function networkIpHolders(db: Db, networkId: string): Array<{ ip: string; containerId: string }> {
  return db.prepare('SELECT ip, container_id AS containerId FROM network_ips WHERE network_id = ?').all(networkId) as Array<{ ip: string; containerId: string }>;
}

export function releaseIps(db: Db, containerId: string): void {
  db.prepare('DELETE FROM network_ips WHERE container_id = ?').run(containerId);
}

export function ipHolders(db: Db): Array<{ networkId: string; ip: string; containerId: string }> {
  return (db.prepare('SELECT network_id AS networkId, ip, container_id AS containerId FROM network_ips').all() as Array<{
    networkId: string;
    ip: string;
    containerId: string;
  }>);
}
