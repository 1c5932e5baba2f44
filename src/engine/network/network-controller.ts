import { readdir } from 'node:fs/promises';
import { conflict, EngineError } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { allContainers, getContainerById, requireContainer, saveContainerState } from '../containers/container-repo.js';
import type { ContainerEndpointFacts, ContainerRecord } from '../containers/container-model.js';
import { parseCidr } from '../../network/ipv4.js';
import { createNetns, deleteLink, ensureBridge, ensureBridgeIpv6, loopbackUp, removeNetns } from '../../network/links.js';
import { parseCidr6 } from '../../network/ipv6.js';
import type { Netfilter } from '../../network/netfilter.js';
import { allNetworks, findNetwork, releaseIps, type NetworkRecord } from './network-repo.js';
import { resolveLinks } from './legacy-links.js';
import type { NetworkControllerOptions } from './network-controller-options.js';
import { BridgeFirewall } from './bridge-firewall.js';
import { attachContainerEndpoint, detachContainerEndpoint } from './container-endpoints.js';
import { writeHostsEntry } from './container-hosts-entry.js';
import { pointResolvConfAtUserNetwork } from './container-resolv-conf.js';
import { ensurePredefinedNetworks } from './default-bridge.js';
import { NetworkDnsServers } from './network-dns-servers.js';
import { PortPublisher } from './port-publishing.js';
import { removeStaleNetworkState } from './stale-network-state.js';
import { freeSubnet, freeSubnet6, subnetsInUse } from './subnet-pool.js';

export type { NetworkControllerOptions } from './network-controller-options.js';

/**
 * The daemon's network state: bridges, this daemon's iptables chains,
 * container namespaces and veths, and the userland proxies of published
 * ports. Lifecycle: init() → reconcile() → connect()/release() per
 * container start/exit → shutdown(). Everything it creates on the host is
 * named so that reconcile() can find and remove what a crashed run left.
 */
export class NetworkController {
  readonly netfilter: Netfilter;
  /** The same chains in ip6tables, for the IPv6 subnets of our networks and ports published on IPv6. */
  readonly netfilter6: Netfilter;
  private readonly firewall: BridgeFirewall;
  private readonly ports: PortPublisher;
  /** The DNS responder of each user-defined network. */
  private readonly dns: NetworkDnsServers;

  constructor(
    private readonly ctx: EngineContext,
    readonly opts: NetworkControllerOptions,
  ) {
    // userland-proxy: false with iptables: the kernel serves loopback too; proxies only hold the ports.
    const hairpin = opts.userlandProxy === false && opts.iptables;
    this.firewall = new BridgeFirewall({ ...opts, hairpin });
    this.netfilter = this.firewall.netfilter;
    this.netfilter6 = this.firewall.netfilter6;
    this.ports = new PortPublisher(this.firewall, ctx.log, hairpin, opts.userlandProxy !== false, ctx.settings.execRoot);
    this.dns = new NetworkDnsServers(ctx.db, ctx.log);
  }

  get netnsDir(): string {
    return `${this.ctx.settings.execRoot}/netns`;
  }

  /** The predefined networks, the default bridge with its subnet, and this daemon's chains. */
  async init(): Promise<void> {
    await ensurePredefinedNetworks(this.ctx.db, this.opts, { freeSubnet: () => this.freeSubnet(), freeSubnet6: () => this.freeSubnet6() });
    await this.firewall.setup(this.ctx.log);
    for (const n of allNetworks(this.ctx.db)) if (n.driver === 'bridge') await this.upBridge(n);
  }

  private async upBridge(n: NetworkRecord): Promise<void> {
    await ensureBridge(n.bridge, `${n.gateway}/${parseCidr(n.subnet).prefix}`, this.opts.mtu);
    if ((n.subnet6 ?? '') !== '') await ensureBridgeIpv6(n.bridge, `${n.gateway6 ?? ''}/${parseCidr6(n.subnet6 ?? '').prefix}`);
    await this.firewall.addBridge(n);
    if (n.name !== 'bridge') await this.dns.start(n);
  }

  /** A new user-defined network: its bridge, rules and DNS server. */
  async addNetwork(n: NetworkRecord): Promise<void> {
    try {
      await this.upBridge(n);
    } catch (err) {
      await this.removeNetwork(n);
      throw err;
    }
  }

  /** Undoes addNetwork(); the caller made sure no endpoint remains. */
  async removeNetwork(n: NetworkRecord): Promise<void> {
    await this.dns.stop(n.id);
    await this.firewall.removeBridge(n);
    await deleteLink(n.bridge);
  }

  /** The first /24 of the pool that overlaps no host route and no network of ours. */
  async freeSubnet(): Promise<{ subnet: string; gateway: string }> {
    return freeSubnet(this.ctx.db, { ...this.opts, execRoot: this.ctx.settings.execRoot });
  }

  /** An IPv6 subnet for a network created with --ipv6 and no IPv6 --subnet (see subnet-pool.ts). */
  async freeSubnet6(): Promise<string> {
    return freeSubnet6(this.ctx.db, { ...this.opts, execRoot: this.ctx.settings.execRoot });
  }

  /** Subnets of this daemon's networks (other bridges on the host show in its routes). */
  async subnetsInUse(): Promise<string[]> {
    return subnetsInUse(this.ctx.db);
  }

  /** Sets up the container's namespace before the runtime creates it. */
  async connect(c: ContainerRecord): Promise<void> {
    const mode = c.runtime.effectiveNetworkMode;
    if (mode === 'container') {
      const ref = c.hostConfig.NetworkMode.slice('container:'.length);
      const other = requireContainer(this.ctx.db, ref);
      if (other.id === c.id) throw new EngineError('invalid_argument', 'cannot join own network');
      if (!other.state.Running || other.state.Pid <= 0) throw conflict(`cannot join network of a non running container: ${ref}`);
      c.runtime.network = { netnsPath: `/proc/${other.state.Pid}/ns/net`, shared: true, endpoints: [], ports: [] };
      return;
    }
    if (mode !== 'bridge') return;
    const primaryRef = c.hostConfig.NetworkMode === 'default' ? 'bridge' : c.hostConfig.NetworkMode;
    // Left with `network disconnect`: dockerd starts it without that network (loopback only when it has no other).
    const left = c.runtime.modeNetworkLeft === true;
    const net = left ? undefined : findNetwork(this.ctx.db, primaryRef);
    if (!left && !net) throw new EngineError('not_found', `network ${primaryRef} not found`);
    // A network created after the container: its endpoint request was kept under the name it was asked by.
    const waiting = c.runtime.endpointConfigs?.[primaryRef];
    if (net && waiting && primaryRef !== net.id && c.runtime.endpointConfigs) {
      delete c.runtime.endpointConfigs[primaryRef];
      if (net.name !== 'bridge') c.runtime.endpointConfigs[net.id] = { ...waiting, networkName: net.name };
    }
    const others = Object.keys(c.runtime.endpointConfigs ?? {})
      .filter((id) => id !== net?.id)
      .map((id) => findNetwork(this.ctx.db, id))
      .filter((n): n is NetworkRecord => n !== undefined);
    const netnsPath = `${this.netnsDir}/${c.id}`;
    c.runtime.network = { netnsPath, shared: false, endpoints: [], ports: [] };
    try {
      // userns-remap: the netns belongs to the container's user namespace (network/userns-netns.ts).
      await createNetns(netnsPath, c.hostConfig.UsernsMode === 'host' ? undefined : this.ctx.settings.userns?.idMap);
      // Legacy links only on the default bridge (on user networks Docker turns them into DNS aliases).
      const links = net?.name === 'bridge' ? resolveLinks(this.ctx.db, c) : { hosts: [], env: [] };
      if (links.env.length > 0) c.runtime.network.linkEnv = links.env;
      const ordered = net ? [net, ...others] : others;
      let ip: string | undefined;
      for (const n of ordered) {
        const endpoint = await this.attachNetwork(c, n);
        ip ??= endpoint.ip;
      }
      if (ip === undefined) {
        await loopbackUp(netnsPath);
        return;
      }
      await writeHostsEntry(c, ip, links.hosts);
      await pointResolvConfAtUserNetwork(c);
      await this.ports.publish(c, ip);
    } catch (err) {
      await this.release(c);
      throw err;
    }
  }

  /**
   * Adds an endpoint on `net` to the container's namespace: the next free
   * ethN, an address (the requested --ip if any), a veth into the bridge.
   * The first endpoint carries the default route.
   */
  async attachNetwork(c: ContainerRecord, net: NetworkRecord): Promise<ContainerEndpointFacts> {
    return attachContainerEndpoint(this.ctx.db, this.opts.mtu, c, net);
  }

  /** `network connect` of a running container: the endpoint, and its published ports again when it had lost them (dockerd maps them anew). */
  async attachRunning(c: ContainerRecord, net: NetworkRecord): Promise<ContainerEndpointFacts> {
    const endpoint = await this.attachNetwork(c, net);
    const facts = c.runtime.network;
    if (facts && !facts.shared && facts.ports.length === 0 && facts.endpoints[0] === endpoint) await this.ports.publish(c, endpoint.ip);
    await pointResolvConfAtUserNetwork(c);
    return endpoint;
  }

  /** Removes the container's endpoint on one network (its veth and address), and the published ports when they were on it. */
  async detachNetwork(c: ContainerRecord, networkId: string): Promise<void> {
    const facts = c.runtime.network;
    const first = facts?.endpoints[0];
    if (facts && !facts.shared && first?.networkId === networkId && facts.ports.length > 0) {
      await this.ports.close(c.id);
      await this.firewall.removePortRules({ ...facts, endpoints: [first] });
      facts.ports = [];
    }
    await detachContainerEndpoint(this.ctx.db, c, networkId);
    if (facts && !facts.shared) await pointResolvConfAtUserNetwork(c);
  }

  /** Undoes connect(): proxies, rules, namespace, veth, addresses. Idempotent. */
  async release(c: ContainerRecord): Promise<void> {
    const net = c.runtime.network;
    await this.ports.close(c.id);
    if (net && !net.shared) {
      await this.firewall.removePortRules(net);
      for (const e of net.endpoints) await deleteLink(e.hostIf);
      await removeNetns(net.netnsPath);
    }
    releaseIps(this.ctx.db, c.id);
    c.runtime.network = undefined;
  }

  /**
   * After a daemon start: running containers get their rules and proxies
   * back; what belongs to no running container (addresses, namespaces,
   * veths) is removed.
   */
  async reconcile(): Promise<void> {
    const running = new Set<string>();
    const containers = allContainers(this.ctx.db);
    // Proxies outlive the daemon: those of running containers are re-adopted below, the rest end first.
    const proxies = await this.ports.adoptable(new Set(containers.filter((c) => c.state.Running && c.runtime.network).map((c) => c.id)));
    for (const c of containers) {
      if (c.state.Running && c.runtime.network) {
        running.add(c.id);
        const net = c.runtime.network;
        const endpoint = net.endpoints[0];
        if (!endpoint || net.shared) continue;
        await this.ports.republish(c, net, endpoint, proxies.get(c.id));
        saveContainerState(this.ctx.db, c);
      } else if (c.runtime.network) {
        await this.release(c);
        saveContainerState(this.ctx.db, c);
      }
    }
    await removeStaleNetworkState(this.ctx.db, this.netnsDir, running);
    // Only now: the previous run's rules carried the published ports until this run's were back.
    await this.firewall.dropPrevious();
  }

  /**
   * At daemon exit. With live-restore the containers keep running, and so do
   * their port proxies: the next start adopts them, so the ports never go
   * dark (dockerd's docker-proxy dies with dockerd, Pdeathsig, and comes back
   * at restore). Without it the containers were stopped first, and the
   * proxies, namespaces, bridges and chains go.
   */
  async shutdown(): Promise<void> {
    if (this.opts.liveRestore) await this.ports.leaveRunning();
    else await this.ports.closeAll();
    await this.dns.closeAll();
    if (this.opts.liveRestore) return;
    for (const c of allContainers(this.ctx.db)) {
      if (!c.runtime.network) continue;
      const fresh = getContainerById(this.ctx.db, c.id);
      if (!fresh?.runtime.network) continue;
      await this.release(fresh);
      saveContainerState(this.ctx.db, fresh);
    }
    for (const f of await readdir(this.netnsDir).catch(() => [] as string[])) await removeNetns(`${this.netnsDir}/${f}`);
    for (const n of allNetworks(this.ctx.db)) if (n.driver === 'bridge') await deleteLink(n.bridge);
    await this.firewall.teardown();
  }
}
