// Keeps the container's /etc/resolv.conf naming a DNS server of berthd on one of its user networks.
import { readFile, writeFile } from 'node:fs/promises';
import type { ContainerRecord } from '../containers/container-model.js';

/**
 * dockerd points a container at its embedded resolver (127.0.0.11) as soon as it is on a user network, also when
 * it joins one after start (libnetwork rebuildDNS). Berth's resolver of a network listens on its gateway and
 * answers for that network, so the file names the gateway of the first user network the container is on, unless
 * it already names one of them or --dns was given. Rewritten in place: the file is bind-mounted.
 */
export async function pointResolvConfAtUserNetwork(c: ContainerRecord): Promise<void> {
  if ((c.hostConfig.Dns ?? []).length > 0) return;
  const gateways = (c.runtime.network?.endpoints ?? []).filter((e) => e.networkName !== 'bridge').map((e) => e.gateway);
  const wanted = gateways[0];
  if (wanted === undefined) return;
  const text = await readFile(c.runtime.resolvConfPath, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const lines = text.split('\n');
  const isServer = (l: string): boolean => /^\s*nameserver\s/.test(l);
  const servers = lines.filter(isServer).map((l) => l.trim().split(/\s+/)[1] ?? '');
  if (servers.length > 0 && servers.every((s) => gateways.includes(s))) return;
  const out: string[] = [];
  let placed = false;
  for (const l of lines) {
    if (!isServer(l)) out.push(l);
    else if (!placed) {
      out.push(`nameserver ${wanted}`);
      placed = true;
    }
  }
  if (!placed) out.unshift(`nameserver ${wanted}`);
  await writeFile(c.runtime.resolvConfPath, out.join('\n'));
}
