// Published ports: the userland proxies that hold (or serve) the host ports, and their DNAT rules.
import { existsSync } from 'node:fs';
import { EngineError } from '../../errors/engine-error.js';
import type { Logger } from '../../lib/logger.js';
import { startPortProxy, type PortProxy } from '../../network/port-proxy.js';
import type { ContainerEndpointFacts, ContainerNetworkFacts, ContainerRecord, PublishedPort } from '../containers/container-model.js';
import type { BridgeFirewall } from './bridge-firewall.js';

/** Random ports tried before giving up when the kernel's pick is busy on [::]. */
const RANDOM_PORT_TRIES = 16;

let ipv6Host: boolean | undefined;
/** Whether the host has IPv6 at all (Docker's check before publishing on [::]). */
function hostHasIpv6(): boolean {
  ipv6Host ??= existsSync('/proc/net/if_inet6');
  return ipv6Host;
}

interface WantedPort {
  proto: 'tcp' | 'udp';
  containerPort: number;
  hostIp: string;
  /** 0 = any free port; ranges are tried in order. */
  hostPorts: number[];
}

/** The proxies of each container, by container id; close() or closeAll() ends them. */
export class PortPublisher {
  private readonly proxies = new Map<string, PortProxy[]>();

  constructor(
    private readonly firewall: BridgeFirewall,
    private readonly log: Logger,
    /** The kernel serves loopback too: IPv4 proxies only hold their ports. */
    private readonly hairpin: boolean,
    /** daemon.json userland-proxy: [::] may be relayed to an IPv4-only container. */
    private readonly userlandProxy: boolean,
  ) {}

  /**
   * Binds every published port (proxy first: it holds the port), then the
   * DNAT rule. An IPv6 host address goes to the container's IPv6 address
   * (its IPv4 one through the proxy when it has none). With no host
   * address and a host with IPv6, the port is also published on [::] with
   * the same port, as Docker ≥ 20.10: to the container's IPv6 address, or
   * through the proxy to its IPv4 one (only with the userland proxy; without
   * it an IPv4-only container has no IPv6 side, and an IPv6 host address
   * of such a container is dropped, as in Docker).
   */
  async publish(c: ContainerRecord, ip: string): Promise<void> {
    const net = c.runtime.network;
    if (!net) return;
    const endpoint = net.endpoints[0];
    const proxies: PortProxy[] = [];
    this.proxies.set(c.id, proxies);
    const target6 = endpoint?.ipv6 ?? (this.userlandProxy ? ip : undefined);
    for (const want of wantedPorts(c)) {
      if (want.hostIp.includes(':')) {
        if (target6 === undefined) continue;
        const proxy = await bindInRange(want, target6, this.hairpin);
        proxies.push(proxy);
        await this.record(net, endpoint, want, want.hostIp, proxy.hostPort);
        continue;
      }
      const both = want.hostIp === '' && target6 !== undefined && hostHasIpv6();
      const [proxy, proxy6] = both ? await this.bindDualStack(c.id, want, ip, target6) : [await bindInRange(want, ip, this.hairpin), undefined];
      // both proxies are owned (closed with the container) before a rule can fail
      proxies.push(proxy);
      if (proxy6) proxies.push(proxy6);
      await this.record(net, endpoint, want, want.hostIp, proxy.hostPort);
      if (proxy6) await this.record(net, endpoint, want, '::', proxy.hostPort);
    }
  }

  private async record(net: ContainerNetworkFacts, endpoint: ContainerEndpointFacts | undefined, want: WantedPort, hostIp: string, hostPort: number): Promise<void> {
    const published: PublishedPort = { proto: want.proto, containerPort: want.containerPort, hostIp, hostPort };
    net.ports.push(published);
    await this.firewall.addPortRule(published, endpoint);
  }

  /**
   * One host port on 0.0.0.0 and [::]: each candidate port (a random one
   * when none was asked) is tried on both families and taken only when
   * both are free. A host where [::] cannot be bound at all keeps the IPv4
   * side only (Docker warns the same way).
   */
  private async bindDualStack(id: string, want: WantedPort, ip: string, target6: string): Promise<[PortProxy, PortProxy | undefined]> {
    const random = want.hostPorts.length === 1 && want.hostPorts[0] === 0;
    const candidates = random ? Array.from({ length: RANDOM_PORT_TRIES }, () => 0) : want.hostPorts;
    let last: unknown;
    for (const candidate of candidates) {
      let proxy: PortProxy;
      try {
        proxy = await bindInRange({ ...want, hostPorts: [candidate] }, ip, this.hairpin);
      } catch (err) {
        last = err;
        continue;
      }
      try {
        return [proxy, await bindInRange({ ...want, hostIp: '::', hostPorts: [proxy.hostPort] }, target6, false)];
      } catch (err) {
        if (err instanceof EngineError && err.code === 'conflict') {
          // Busy on [::] only: this port is not free for both families, try the next one.
          await proxy.close().catch(() => undefined);
          last = err;
          continue;
        }
        this.log.warn('publishing on [::] failed', { id, port: proxy.hostPort, error: (err as Error).message });
        return [proxy, undefined];
      }
    }
    throw last;
  }

  /** After a daemon restart: the recorded ports of a running container again; a port that cannot be had is dropped (and logged). */
  async republish(c: ContainerRecord, net: ContainerNetworkFacts, endpoint: ContainerEndpointFacts): Promise<void> {
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
        await this.firewall.addPortRule(p, endpoint);
      } catch (err) {
        this.log.warn('re-publishing port failed', { id: c.id, port: p.hostPort, error: (err as Error).message });
      }
    }
  }

  /** Ends the container's proxies; their rules are the firewall's to remove. */
  async close(containerId: string): Promise<void> {
    for (const p of this.proxies.get(containerId) ?? []) await p.close().catch(() => undefined);
    this.proxies.delete(containerId);
  }

  async closeAll(): Promise<void> {
    for (const list of this.proxies.values()) for (const p of list) await p.close().catch(() => undefined);
    this.proxies.clear();
  }
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
