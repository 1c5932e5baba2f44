// This daemon's iptables and ip6tables chains: the rules of each bridge and the DNAT rules of published ports.
import type { Logger } from '../../lib/logger.js';
import { enableIpForward, enableIpv6Forward, enableRouteLocalnet, Netfilter, type PortRule } from '../../network/netfilter.js';
import type { ContainerEndpointFacts, ContainerNetworkFacts, PublishedPort } from '../containers/container-model.js';
import type { NetworkControllerOptions } from './network-controller-options.js';
import type { NetworkRecord } from './network-repo.js';

export interface BridgeFirewallOptions extends Pick<NetworkControllerOptions, 'bridge' | 'iptables' | 'ipForward'> {
  /** userland-proxy: false with iptables: the kernel serves loopback too (route_localnet, hairpin MASQUERADE). */
  readonly hairpin: boolean;
}

/** Lifecycle: setup() at daemon start (with iptables), rules per bridge and port, dropPrevious() once they are back, teardown() at exit. */
export class BridgeFirewall {
  readonly netfilter: Netfilter;
  /** The same chains in ip6tables, for the IPv6 subnets of our networks and ports published on IPv6. */
  readonly netfilter6: Netfilter;
  private ip6tables = false;

  constructor(private readonly opts: BridgeFirewallOptions) {
    this.netfilter = new Netfilter(opts.bridge, opts.hairpin);
    this.netfilter6 = new Netfilter(opts.bridge, false, 6);
  }

  async setup(log: Logger): Promise<void> {
    if (!this.opts.iptables) return;
    await this.netfilter.setup();
    if (this.opts.ipForward !== false) await enableIpForward();
    // Without ip6tables (or its nat table) IPv6 still works inside our bridges, just without NAT and published-port rules.
    this.ip6tables = await this.netfilter6.setup().then(
      () => true,
      (err: Error) => {
        log.warn('ip6tables chains could not be set up', { error: err.message });
        return false;
      },
    );
  }

  /** The bridge's rules, made afresh (a previous run may have left them). */
  async addBridge(n: NetworkRecord): Promise<void> {
    if (!this.opts.iptables) return;
    const icc = iccOf(n);
    await this.netfilter.removeBridge(n.bridge, n.subnet, n.internal, icc);
    await this.netfilter.addBridge(n.bridge, n.subnet, n.internal, icc);
    if (this.opts.hairpin) await enableRouteLocalnet(n.bridge);
    if ((n.subnet6 ?? '') !== '' && this.ip6tables) {
      await this.netfilter6.removeBridge(n.bridge, n.subnet6 ?? '', n.internal, icc);
      await this.netfilter6.addBridge(n.bridge, n.subnet6 ?? '', n.internal, icc);
      if (this.opts.ipForward !== false && !n.internal) await enableIpv6Forward();
    }
  }

  async removeBridge(n: NetworkRecord): Promise<void> {
    const icc = iccOf(n);
    if (this.opts.iptables) await this.netfilter.removeBridge(n.bridge, n.subnet, n.internal, icc);
    if (this.ip6tables && (n.subnet6 ?? '') !== '') await this.netfilter6.removeBridge(n.bridge, n.subnet6 ?? '', n.internal, icc);
  }

  async addPortRule(p: PublishedPort, e: ContainerEndpointFacts | undefined): Promise<void> {
    const r = this.portRule(p, e);
    if (r) await r.nf.addPort(r.rule);
  }

  async removePortRules(net: ContainerNetworkFacts): Promise<void> {
    for (const e of net.endpoints) {
      for (const p of net.ports) {
        const r = this.portRule(p, e);
        if (r) await r.nf.removePort(r.rule);
      }
    }
  }

  /** Once this run's rules are all in place (after reconcile): the chains a previous run left go (Netfilter.setup()). */
  async dropPrevious(): Promise<void> {
    if (this.opts.iptables) await this.netfilter.dropPrevious();
    if (this.ip6tables) await this.netfilter6.dropPrevious();
  }

  async teardown(): Promise<void> {
    if (this.opts.iptables) await this.netfilter.teardown();
    if (this.opts.iptables) await this.netfilter6.teardown();
  }

  /** The DNAT rule of a published port, in iptables or ip6tables by its host address; none for IPv6 to a container without it. */
  private portRule(p: PublishedPort, e: ContainerEndpointFacts | undefined): { nf: Netfilter; rule: PortRule } | undefined {
    if (!e || !this.opts.iptables) return undefined;
    if (!p.hostIp.includes(':')) return { nf: this.netfilter, rule: { ...p, bridge: e.bridge, containerIp: e.ip } };
    return e.ipv6 !== undefined && this.ip6tables ? { nf: this.netfilter6, rule: { ...p, bridge: e.bridge, containerIp: e.ipv6 } } : undefined;
  }
}

function iccOf(n: NetworkRecord): boolean {
  return n.options['com.docker.network.bridge.enable_icc'] !== 'false';
}
