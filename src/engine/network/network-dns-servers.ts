// The DNS responder of each user-defined network (on its gateway address), by network id.
import type { Logger } from '../../lib/logger.js';
import { startDnsServer, type DnsServer } from '../../network/dns-server.js';
import type { Db } from '../../store/database.js';
import type { NetworkRecord } from './network-repo.js';
import { dnsUpstreams, lookupOnNetwork } from './user-dns.js';

export class NetworkDnsServers {
  private readonly servers = new Map<string, DnsServer>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** Starts the network's server unless it runs; a failure is logged, the network works without it. */
  async start(n: NetworkRecord): Promise<void> {
    if (this.servers.has(n.id)) return;
    try {
      const upstreams = await dnsUpstreams();
      this.servers.set(n.id, await startDnsServer({ address: n.gateway, lookup: (name, client) => lookupOnNetwork(this.db, n.id, n.name, name, client), upstreams }));
    } catch (err) {
      this.log.warn('DNS server for network failed to start', { network: n.name, error: (err as Error).message });
    }
  }

  async stop(networkId: string): Promise<void> {
    await this.servers.get(networkId)?.close();
    this.servers.delete(networkId);
  }

  async closeAll(): Promise<void> {
    for (const d of this.servers.values()) await d.close().catch(() => undefined);
    this.servers.clear();
  }
}
