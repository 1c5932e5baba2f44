import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { conflict, EngineError } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { allContainers, getContainerById, requireContainer, saveContainerState } from '../containers/container-repo.js';
import { nowRfc3339Nano, type ContainerRecord, type PublishedPort } from '../containers/container-model.js';
import { cidrString, intToIp, ipToInt, macForIp, parseCidr, subnetContains, subnetSize, subnetsOverlap, type Ipv4Subnet } from '../../network/ipv4.js';
import { attachEndpoint, createNetns, deleteLink, ensureBridge, ensureBridgeIpv6, hostRoutes, hostRoutes6, linksOfBridge, removeNetns } from '../../network/links.js';
import { bigIntToIp6, cidr6String, parseCidr6, subnets6Overlap, type Ipv6Subnet } from '../../network/ipv6.js';
import { enableIpForward, enableIpv6Forward, enableRouteLocalnet, Netfilter, type PortRule } from '../../network/netfilter.js';
import { startPortProxy, type PortProxy } from '../../network/port-proxy.js';
import { allNetworks, allocateIp, findNetwork, insertNetwork, ipHolders, networkByName, releaseIp, releaseIps, type NetworkRecord } from './network-repo.js';
import type { ContainerEndpointFacts, ContainerNetworkFacts } from '../containers/container-model.js';
import { startDnsServer, type DnsServer } from '../../network/dns-server.js';
import { dnsUpstreams, lookupOnNetwork } from './user-dns.js';
import { resolveLinks } from './legacy-links.js';

export interface NetworkControllerOptions {
  /** Default bridge interface name (--bridge); also the tag of this daemon's iptables chains. */
  readonly bridge: string;
  readonly bip: string | undefined;
  readonly mtu: number;
  readonly iptables: boolean;
  readonly liveRestore: boolean;
  /** daemon.json "icc": container-to-container traffic on the default bridge; default true. */
  readonly icc?: boolean;
  /** daemon.json "userland-proxy"; false = kernel-only path (DNAT from loopback, route_localnet, hairpin MASQUERADE). Default true. */
  readonly userlandProxy?: boolean;
  /** daemon.json "ip-forward"; default true. */
  readonly ipForward?: boolean;
  /** daemon.json "fixed-cidr": the part of the default bridge's subnet containers get addresses from. */
  readonly fixedCidr?: string;
  /** daemon.json "default-address-pools": where subnets of new networks (and the default bridge without bip) come from. */
  readonly addressPools?: ReadonlyArray<{ readonly base: string; readonly size: number }>;
  /** daemon.json "ipv6": IPv6 on the default bridge too. */
  readonly ipv6?: boolean;
  /** daemon.json "fixed-cidr-v6": the default bridge's IPv6 subnet (a ULA /64 is picked without it). */
  readonly fixedCidrV6?: string;
}

/** Where free subnets are taken from, /24 at a time, skipping any in use on the host or by other networks. */
const POOL_START = (10 << 24) + (88 << 16);
const POOL_END = (10 << 24) + (100 << 16);

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
  private ip6tables = false;
  private readonly proxies = new Map<string, PortProxy[]>();
  /** The DNS responder of each user-defined network, by network id. */
  private readonly dns = new Map<string, DnsServer>();

  constructor(
    private readonly ctx: EngineContext,
    readonly opts: NetworkControllerOptions,
  ) {
    this.netfilter = new Netfilter(opts.bridge, this.hairpin);
    this.netfilter6 = new Netfilter(opts.bridge, false, 6);
  }

  /** userland-proxy: false with iptables: the kernel serves loopback too; proxies only hold the ports. */
  private get hairpin(): boolean {
    return this.opts.userlandProxy === false && this.opts.iptables;
  }

  get netnsDir(): string {
    return `${this.ctx.settings.execRoot}/netns`;
  }

  /** The predefined networks, the default bridge with its subnet, and this daemon's chains. */
  async init(): Promise<void> {
    const db = this.ctx.db;
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!networkByName(db, name)) insertNetwork(db, predefined(name, driver, '', '', ''));
    }
    let bridge = networkByName(db, 'bridge');
    const wanted = this.opts.bip !== undefined ? { subnet: cidrString(parseCidr(this.opts.bip)), gateway: this.opts.bip.split('/')[0] ?? '' } : undefined;
    const icc = this.opts.icc !== false;
    const iccChanged = bridge !== undefined && bridge.options['com.docker.network.bridge.enable_icc'] !== String(icc);
    const fixedCidr = this.opts.fixedCidr !== undefined && this.opts.fixedCidr !== '' ? cidrString(parseCidr(this.opts.fixedCidr)) : '';
    // IPv6 on the default bridge: fixed-cidr-v6 when given, else the ULA /64 it already has, else a new one.
    const fixed6 = this.opts.ipv6 === true && (this.opts.fixedCidrV6 ?? '') !== '' ? cidr6String(parseCidr6(this.opts.fixedCidrV6 ?? '')) : '';
    const v6Changed = bridge !== undefined && (this.opts.ipv6 === true ? (fixed6 !== '' ? bridge.subnet6 !== fixed6 : (bridge.subnet6 ?? '') === '') : (bridge.subnet6 ?? '') !== '');
    if (bridge && (iccChanged || v6Changed || bridge.ipRange !== fixedCidr || bridge.bridge !== this.opts.bridge || (wanted && (wanted.subnet !== bridge.subnet || wanted.gateway !== bridge.gateway)))) {
      db.prepare('DELETE FROM networks WHERE id = ?').run(bridge.id);
      bridge = undefined;
    }
    if (!bridge) {
      const addr = wanted ?? (await this.freeSubnet());
      bridge = predefined('bridge', 'bridge', this.opts.bridge, addr.subnet, addr.gateway);
      if (fixedCidr !== '') {
        const s = parseCidr(addr.subnet);
        const r = parseCidr(fixedCidr);
        if (r.prefix < s.prefix || !subnetContains(s, r.base)) throw new EngineError('invalid_argument', `fixed-cidr ${fixedCidr} is not inside the bridge subnet ${addr.subnet}`);
        bridge.ipRange = fixedCidr;
      }
      if (this.opts.ipv6 === true) {
        const s6 = fixed6 !== '' ? parseCidr6(fixed6) : parseCidr6(await this.freeSubnet6());
        if (s6.prefix > 120) throw new EngineError('invalid_argument', `fixed-cidr-v6 ${fixed6} is too small`);
        bridge.subnet6 = cidr6String(s6);
        bridge.gateway6 = bigIntToIp6(s6.base + 1n);
      }
      bridge.options = {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': String(icc),
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
        'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
        'com.docker.network.bridge.name': this.opts.bridge,
        'com.docker.network.driver.mtu': String(this.opts.mtu),
      };
      insertNetwork(db, bridge);
    }
    if (this.opts.iptables) {
      await this.netfilter.setup();
      if (this.opts.ipForward !== false) await enableIpForward();
      // Without ip6tables (or its nat table) IPv6 still works inside our bridges, just without NAT and published-port rules.
      this.ip6tables = await this.netfilter6.setup().then(
        () => true,
        (err: Error) => {
          this.ctx.log.warn('ip6tables chains could not be set up', { error: err.message });
          return false;
        },
      );
    }
    for (const n of allNetworks(db)) if (n.driver === 'bridge') await this.upBridge(n);
  }

  private async upBridge(n: NetworkRecord): Promise<void> {
    await ensureBridge(n.bridge, `${n.gateway}/${parseCidr(n.subnet).prefix}`, this.opts.mtu);
    if ((n.subnet6 ?? '') !== '') await ensureBridgeIpv6(n.bridge, `${n.gateway6 ?? ''}/${parseCidr6(n.subnet6 ?? '').prefix}`);
    if (this.opts.iptables) {
      const icc = n.options['com.docker.network.bridge.enable_icc'] !== 'false';
      await this.netfilter.removeBridge(n.bridge, n.subnet, n.internal, icc);
      await this.netfilter.addBridge(n.bridge, n.subnet, n.internal, icc);
      if (this.hairpin) await enableRouteLocalnet(n.bridge);
      if ((n.subnet6 ?? '') !== '' && this.ip6tables) {
        await this.netfilter6.removeBridge(n.bridge, n.subnet6 ?? '', n.internal, icc);
        await this.netfilter6.addBridge(n.bridge, n.subnet6 ?? '', n.internal, icc);
        if (this.opts.ipForward !== false && !n.internal) await enableIpv6Forward();
      }
    }
    if (n.name !== 'bridge' && !this.dns.has(n.id)) {
      try {
        const upstreams = await dnsUpstreams();
        this.dns.set(n.id, await startDnsServer({ address: n.gateway, lookup: (name, client) => lookupOnNetwork(this.ctx.db, n.id, n.name, name, client), upstreams }));
      } catch (err) {
        this.ctx.log.warn('DNS server for network failed to start', { network: n.name, error: (err as Error).message });
      }
    }
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
    await this.dns.get(n.id)?.close();
    this.dns.delete(n.id);
    const icc = n.options['com.docker.network.bridge.enable_icc'] !== 'false';
    if (this.opts.iptables) await this.netfilter.removeBridge(n.bridge, n.subnet, n.internal, icc);
    if (this.ip6tables && (n.subnet6 ?? '') !== '') await this.netfilter6.removeBridge(n.bridge, n.subnet6 ?? '', n.internal, icc);
    await deleteLink(n.bridge);
  }

  /** The first /24 of the pool that overlaps no host route and no network of ours. */
  async freeSubnet(): Promise<{ subnet: string; gateway: string }> {
    const taken = [...(await hostRoutes()), ...(await this.subnetsInUse())].map(parseCidr);
    const free = (candidate: Ipv4Subnet): boolean => !taken.some((t) => t.prefix > 0 && subnetsOverlap(t, candidate));
    const pools4 = (this.opts.addressPools ?? []).filter((p) => !p.base.includes(':'));
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
      throw conflict('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    }
    const count = (POOL_END - POOL_START) / 256;
    // Daemons with other bridge names (test daemons) start at a spot of their own, so two starting at once rarely race for the same /24.
    let offset = 0;
    if (this.opts.bridge !== 'berth0') for (const ch of this.opts.bridge) offset = (offset * 31 + ch.charCodeAt(0)) % count;
    for (let i = 0; i < count; i++) {
      const base = POOL_START + ((offset + i) % count) * 256;
      const candidate = { base, prefix: 24 };
      if (!taken.some((t) => t.prefix > 0 && subnetsOverlap(t, candidate))) return { subnet: cidrString(candidate), gateway: intToIp(base + 1) };
    }
    throw conflict('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  }

  /**
   * An IPv6 subnet for a network created with --ipv6 and no IPv6 --subnet
   * (Docker ≥ 27): from an IPv6 entry of default-address-pools, else a /64
   * of a ULA /48 (RFC 4193: fd + 40-bit global id) of this daemon's own;
   * never overlapping a host route or another network of ours.
   */
  async freeSubnet6(): Promise<string> {
    const taken: Ipv6Subnet[] = [];
    for (const r of await hostRoutes6()) taken.push(parseCidr6(r));
    for (const n of allNetworks(this.ctx.db)) if ((n.subnet6 ?? '') !== '') taken.push(parseCidr6(n.subnet6 ?? ''));
    const free = (c: Ipv6Subnet): boolean => !taken.some((t) => t.prefix > 0 && subnets6Overlap(t, c));
    const pools6 = (this.opts.addressPools ?? []).filter((p) => p.base.includes(':'));
    const globalId = createHash('sha256').update(`berth-ula:${this.opts.bridge}:${this.ctx.settings.execRoot}`).digest().subarray(0, 5).toString('hex');
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

  /** Subnets of this daemon's networks (other bridges on the host show in its routes). */
  async subnetsInUse(): Promise<string[]> {
    return allNetworks(this.ctx.db).map((n) => n.subnet).filter((s) => s !== '');
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
    const net = findNetwork(this.ctx.db, primaryRef);
    if (!net) throw new EngineError('not_found', `network ${primaryRef} not found`);
    const others = Object.keys(c.runtime.endpointConfigs ?? {})
      .filter((id) => id !== net.id)
      .map((id) => findNetwork(this.ctx.db, id))
      .filter((n): n is NetworkRecord => n !== undefined);
    const netnsPath = `${this.netnsDir}/${c.id}`;
    c.runtime.network = { netnsPath, shared: false, endpoints: [], ports: [] };
    try {
      // userns-remap: the netns belongs to the container's user namespace (network/userns-netns.ts).
      await createNetns(netnsPath, c.hostConfig.UsernsMode === 'host' ? undefined : this.ctx.settings.userns?.idMap);
      // Legacy links only on the default bridge (on user networks Docker turns them into DNS aliases).
      const links = net.name === 'bridge' ? resolveLinks(this.ctx.db, c) : { hosts: [], env: [] };
      if (links.env.length > 0) c.runtime.network.linkEnv = links.env;
      const { ip } = await this.attachNetwork(c, net);
      for (const other of others) await this.attachNetwork(c, other);
      await this.writeHostsEntry(c, ip, links.hosts);
      await this.publish(c, ip);
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
    const facts = c.runtime.network;
    if (!facts || facts.shared) throw conflict('container sharing network namespace with another container or host cannot be connected to any other network');
    const used = new Set(facts.endpoints.map((e) => e.ifName ?? 'eth0'));
    let index = 0;
    while (used.has(`eth${index}`)) index++;
    const ip = allocateIp(this.ctx.db, net, c.id, c.runtime.endpointConfigs?.[net.id]?.ipv4 || undefined);
    const endpoint: ContainerEndpointFacts = {
      networkId: net.id,
      networkName: net.name,
      endpointId: randomBytes(32).toString('hex'),
      bridge: net.bridge,
      hostIf: index === 0 ? `vb${c.id.slice(0, 11)}` : `vb${c.id.slice(0, 11)}${index}`,
      ip,
      prefix: parseCidr(net.subnet).prefix,
      gateway: net.gateway,
      mac: macForIp(ip),
      ifName: `eth${index}`,
    };
    if ((net.subnet6 ?? '') !== '') {
      // The IPv6 host part mirrors the IPv4 one (unique per network, no second allocator): 10.1.2.3 in /24 → <subnet6>::3.
      const s6 = parseCidr6(net.subnet6 ?? '');
      const s4 = parseCidr(net.subnet);
      const candidate = s6.base + BigInt(ipToInt(ip) - s4.base);
      endpoint.ipv6 = bigIntToIp6(candidate === parseGateway6(net) ? candidate + BigInt(subnetSize(s4)) : candidate);
      endpoint.prefix6 = s6.prefix;
      endpoint.gateway6 = net.gateway6 ?? '';
    }
    facts.endpoints.push(endpoint);
    try {
      await attachEndpoint({ ...endpoint, ifName: `eth${index}`, netnsPath: facts.netnsPath, mtu: this.opts.mtu, defaultRoute: index === 0 && !net.internal, address: ip });
    } catch (err) {
      facts.endpoints = facts.endpoints.filter((e) => e !== endpoint);
      releaseIp(this.ctx.db, c.id, net.id);
      throw err;
    }
    return endpoint;
  }

  /** Removes the container's endpoint on one network (its veth and address). */
  async detachNetwork(c: ContainerRecord, networkId: string): Promise<void> {
    const facts = c.runtime.network;
    const e = facts?.endpoints.find((x) => x.networkId === networkId);
    if (facts && e) {
      await deleteLink(e.hostIf);
      facts.endpoints = facts.endpoints.filter((x) => x !== e);
    }
    releaseIp(this.ctx.db, c.id, networkId);
  }

  private async writeHostsEntry(c: ContainerRecord, ip: string, linkLines: readonly string[] = []): Promise<void> {
    const current = await readFile(c.runtime.hostsPath, 'utf8').catch(() => '');
    const names = c.config.Domainname !== '' ? `${c.config.Hostname}.${c.config.Domainname} ${c.config.Hostname}` : c.config.Hostname;
    // A restart rewrites the link lines: the linked containers may have new addresses.
    const linkNames = new Set(linkLines.map((l) => l.slice(l.indexOf('\t'))));
    const kept = current.split('\n').filter((l) => l !== '' && !l.endsWith(`\t${names}`) && !linkNames.has(l.slice(l.indexOf('\t'))));
    await writeFile(c.runtime.hostsPath, [...kept, ...linkLines, `${ip}\t${names}`].join('\n') + '\n');
  }

  /**
   * Binds every published port (proxy first: it holds the port), then the
   * DNAT rule. An IPv6 host address goes to the container's IPv6 address
   * (its IPv4 one through the proxy when it has none); with no host
   * address, a container with IPv6 is also published on [::] with the
   * same port, as Docker ≥ 20.10.
   */
  private async publish(c: ContainerRecord, ip: string): Promise<void> {
    const net = c.runtime.network;
    if (!net) return;
    const endpoint = net.endpoints[0];
    const proxies: PortProxy[] = [];
    this.proxies.set(c.id, proxies);
    for (const want of wantedPorts(c)) {
      const v6 = want.hostIp.includes(':');
      const target = v6 && endpoint?.ipv6 !== undefined ? endpoint.ipv6 : ip;
      const proxy = await bindInRange(want, target, this.hairpin);
      proxies.push(proxy);
      const published: PublishedPort = { proto: want.proto, containerPort: want.containerPort, hostIp: want.hostIp, hostPort: proxy.hostPort };
      net.ports.push(published);
      await this.addPortRule(published, endpoint);
      if (want.hostIp === '' && endpoint?.ipv6 !== undefined) {
        const both: WantedPort = { ...want, hostIp: '::', hostPorts: [proxy.hostPort] };
        try {
          proxies.push(await bindInRange(both, endpoint.ipv6, false));
        } catch (err) {
          // A busy port fails the start; a host without IPv6 only loses the [::] side (as Docker, which warns).
          if (err instanceof EngineError && err.code === 'conflict') throw err;
          this.ctx.log.warn('publishing on [::] failed', { id: c.id, port: proxy.hostPort, error: (err as Error).message });
          continue;
        }
        const p6: PublishedPort = { ...published, hostIp: '::' };
        net.ports.push(p6);
        await this.addPortRule(p6, endpoint);
      }
    }
  }

  /** The DNAT rule of a published port, in iptables or ip6tables by its host address; none for IPv6 to a container without it. */
  private portRule(p: PublishedPort, e: ContainerEndpointFacts | undefined): { nf: Netfilter; rule: PortRule } | undefined {
    if (!e || !this.opts.iptables) return undefined;
    if (!p.hostIp.includes(':')) return { nf: this.netfilter, rule: { ...p, bridge: e.bridge, containerIp: e.ip } };
    return e.ipv6 !== undefined && this.ip6tables ? { nf: this.netfilter6, rule: { ...p, bridge: e.bridge, containerIp: e.ipv6 } } : undefined;
  }

  private async addPortRule(p: PublishedPort, e: ContainerEndpointFacts | undefined): Promise<void> {
    const r = this.portRule(p, e);
    if (r) await r.nf.addPort(r.rule);
  }

  private async removePortRules(net: ContainerNetworkFacts): Promise<void> {
    for (const e of net.endpoints) {
      for (const p of net.ports) {
        const r = this.portRule(p, e);
        if (r) await r.nf.removePort(r.rule);
      }
    }
  }

  /** Undoes connect(): proxies, rules, namespace, veth, addresses. Idempotent. */
  async release(c: ContainerRecord): Promise<void> {
    const net = c.runtime.network;
    for (const p of this.proxies.get(c.id) ?? []) await p.close().catch(() => undefined);
    this.proxies.delete(c.id);
    if (net && !net.shared) {
      await this.removePortRules(net);
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
    for (const c of allContainers(this.ctx.db)) {
      if (c.state.Running && c.runtime.network) {
        running.add(c.id);
        const net = c.runtime.network;
        const endpoint = net.endpoints[0];
        if (!endpoint || net.shared) continue;
        const ports = net.ports;
        net.ports = [];
        const proxies: PortProxy[] = [];
        this.proxies.set(c.id, proxies);
        for (const p of ports) {
          try {
            const v6 = p.hostIp.includes(':');
            const containerIp = v6 && endpoint.ipv6 !== undefined ? endpoint.ipv6 : endpoint.ip;
            proxies.push(await startPortProxy({ ...p, containerIp, holdOnly: this.hairpin && !v6 }));
            net.ports.push(p);
            await this.addPortRule(p, endpoint);
          } catch (err) {
            this.ctx.log.warn('re-publishing port failed', { id: c.id, port: p.hostPort, error: (err as Error).message });
          }
        }
        saveContainerState(this.ctx.db, c);
      } else if (c.runtime.network) {
        await this.release(c);
        saveContainerState(this.ctx.db, c);
      }
    }
    for (const h of ipHolders(this.ctx.db)) if (!running.has(h.containerId)) releaseIps(this.ctx.db, h.containerId);
    for (const f of await readdir(this.netnsDir).catch(() => [] as string[])) {
      if (!running.has(f)) await removeNetns(`${this.netnsDir}/${f}`);
    }
    for (const n of allNetworks(this.ctx.db)) {
      if (n.driver !== 'bridge') continue;
      for (const link of await linksOfBridge(n.bridge)) {
        if (link.startsWith('vb') && ![...running].some((id) => link.startsWith(`vb${id.slice(0, 11)}`))) await deleteLink(link);
      }
    }
  }

  /** At daemon exit: proxies always go; without live-restore the namespaces, bridges and chains go too. */
  async shutdown(): Promise<void> {
    for (const list of this.proxies.values()) for (const p of list) await p.close().catch(() => undefined);
    this.proxies.clear();
    for (const d of this.dns.values()) await d.close().catch(() => undefined);
    this.dns.clear();
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
    if (this.opts.iptables) await this.netfilter.teardown();
    if (this.opts.iptables) await this.netfilter6.teardown();
  }
}

function parseGateway6(n: NetworkRecord): bigint | undefined {
  return (n.gateway6 ?? '') === '' ? undefined : parseCidr6(`${n.gateway6 ?? ''}/128`).base;
}

function predefined(name: string, driver: NetworkRecord['driver'], bridge: string, subnet: string, gateway: string): NetworkRecord {
  return {
    id: randomBytes(32).toString('hex'),
    name,
    driver,
    created: nowRfc3339Nano(),
    bridge,
    subnet,
    gateway,
    ipRange: '',
    internal: false,
    labels: {},
    options: {},
  };
}

interface WantedPort {
  proto: 'tcp' | 'udp';
  containerPort: number;
  hostIp: string;
  /** 0 = any free port; ranges are tried in order. */
  hostPorts: number[];
}

/** PortBindings, plus every exposed port under PublishAllPorts (-P) on a free host port. */
function wantedPorts(c: ContainerRecord): WantedPort[] {
  const out: WantedPort[] = [];
  const bindings = (c.hostConfig.PortBindings ?? {}) as Record<string, Array<{ HostIp?: string; HostPort?: string }> | null>;
  const keys = new Set(Object.keys(bindings));
  if (c.hostConfig.PublishAllPorts) for (const k of Object.keys(c.config.ExposedPorts ?? {})) keys.add(k);
  for (const key of keys) {
    const [portText = '', protoText = 'tcp'] = key.split('/');
    const proto = protoText === 'udp' ? 'udp' : 'tcp';
    const containerPort = Number(portText);
    const list = bindings[key];
    for (const b of list && list.length > 0 ? list : [{}]) {
      const hp = b.HostPort ?? '';
      let hostPorts = [0];
      const range = /^(\d+)-(\d+)$/.exec(hp);
      if (range) {
        hostPorts = [];
        for (let p = Number(range[1]); p <= Number(range[2]); p++) hostPorts.push(p);
      } else if (hp !== '') hostPorts = [Number(hp)];
      out.push({ proto, containerPort, hostIp: b.HostIp ?? '', hostPorts });
    }
  }
  return out;
}

async function bindInRange(want: WantedPort, containerIp: string, holdOnly: boolean): Promise<PortProxy> {
  let last: unknown;
  for (const hostPort of want.hostPorts) {
    try {
      // Only IPv4 has the kernel hairpin path; an IPv6 port keeps its proxy.
      return await startPortProxy({ proto: want.proto, hostIp: want.hostIp, hostPort, containerIp, containerPort: want.containerPort, holdOnly: holdOnly && !want.hostIp.includes(':') });
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
