import { readFile } from 'node:fs/promises';
import type { Db } from '../../store/database.js';
import { getContainerById } from '../containers/container-repo.js';
import { networkIpHolders } from './network-repo.js';
import { parseLink } from './legacy-links.js';

/**
 * The names a user-defined network's DNS server answers (IPv4 and, on an
 * IPv6 network, IPv6 addresses): each container holding an address on it, by name, short id and its aliases on that
 * network, also as `<name>.<network>` (as Docker's embedded DNS does).
 */
export function lookupOnNetwork(db: Db, networkId: string, networkName: string, query: string, client?: string): string[] {
  const suffix = `.${networkName.toLowerCase()}`;
  const name = query.endsWith(suffix) ? query.slice(0, -suffix.length) : query;
  const out: string[] = [];
  const holders = networkIpHolders(db, networkId);
  for (const h of holders) {
    const c = getContainerById(db, h.containerId);
    if (!c) continue;
    const names = [c.name, c.id.slice(0, 12), ...(c.runtime.endpointConfigs?.[networkId]?.aliases ?? [])].map((n) => n.toLowerCase());
    if (!names.includes(name)) continue;
    out.push(h.ip);
    const ipv6 = c.runtime.network?.endpoints.find((e) => e.networkId === networkId)?.ipv6;
    if (ipv6 !== undefined) out.push(ipv6);
  }
  if (out.length > 0 || client === undefined) return out;
  // `--link target:alias` on a user network: the alias resolves to the target, for the linking container only (Docker's sandbox aliases).
  const asker = holders.find((h) => h.ip === client);
  const askerRecord = asker ? getContainerById(db, asker.containerId) : undefined;
  for (const link of askerRecord?.hostConfig.Links ?? []) {
    const [target, alias] = parseLink(link);
    if (alias.toLowerCase() === name && target.toLowerCase() !== name) return lookupOnNetwork(db, networkId, networkName, target.toLowerCase());
  }
  // Docker's embedded resolver answers for every network of the asking container, not only the one its resolv.conf names.
  for (const e of askerRecord?.runtime.network?.endpoints ?? []) {
    if (e.networkId === networkId) continue;
    const found = lookupOnNetwork(db, e.networkId, e.networkName, query);
    if (found.length > 0) return found;
  }
  return out;
}

/** The host's IPv4 resolvers that are reachable from containers (loopback ones left out, as in their resolv.conf). */
export async function dnsUpstreams(): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] === 'nameserver' && w[1] !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(w[1]) && !w[1].startsWith('127.'))
    .map((w) => w[1] ?? '');
}
