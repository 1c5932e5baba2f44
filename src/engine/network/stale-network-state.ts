// After a daemon start: removes the addresses, namespaces and veths that belong to no running container.
import { readdir } from 'node:fs/promises';
import { deleteLink, linksOfBridge, removeNetns } from '../../network/links.js';
import type { Db } from '../../store/database.js';
import { allNetworks, ipHolders, releaseIps } from './network-repo.js';

export async function removeStaleNetworkState(db: Db, netnsDir: string, running: ReadonlySet<string>): Promise<void> {
  for (const h of ipHolders(db)) if (!running.has(h.containerId)) releaseIps(db, h.containerId);
  for (const f of await readdir(netnsDir).catch(() => [] as string[])) {
    if (!running.has(f)) await removeNetns(`${netnsDir}/${f}`);
  }
  for (const n of allNetworks(db)) {
    if (n.driver !== 'bridge') continue;
    for (const link of await linksOfBridge(n.bridge)) {
      if (link.startsWith('vb') && ![...running].some((id) => link.startsWith(`vb${id.slice(0, 11)}`))) await deleteLink(link);
    }
  }
}
