import { readFile } from 'node:fs/promises';
import type { Db } from '../../store/database.js';
import { getContainerById } from '../containers/container-repo.js';
import { networkIpHolders } from './network-repo.js';

/**
 * The names a user-defined network's DNS server answers: each container
 * holding an address on it, by name, short id and its aliases on that
 * network, also as `<name>.<network>` (as Docker's embedded DNS does).
 */
export function lookupOnNetwork(db: Db, networkId: string, networkName: string, query: string): string[] {
  const suffix = `.${networkName.toLowerCase()}`;
  const name = query.endsWith(suffix) ? query.slice(0, -suffix.length) : query;
  const out: string[] = [];
  for (const h of networkIpHolders(db, networkId)) {
    const c = getContainerById(db, h.containerId);
    if (!c) continue;
    const names = [c.name, c.id.slice(0, 12), ...(c.runtime.endpointConfigs?.[networkId]?.aliases ?? [])].map((n) => n.toLowerCase());
    if (names.includes(name)) out.push(h.ip);
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
