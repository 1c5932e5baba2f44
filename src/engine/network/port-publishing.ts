// Published ports: the userland proxies that hold (or serve) the host ports, and their DNAT rules.
import { EngineError } from '../../errors/engine-error.js';
import type { Logger } from '../../lib/logger.js';
import { startPortProxy, type PortProxy } from '../../network/port-proxy.js';
import type { ContainerEndpointFacts, ContainerNetworkFacts, ContainerRecord, PublishedPort } from '../containers/container-model.js';
import type { BridgeFirewall } from './bridge-firewall.js';

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
  ) {}

  /**
   * Binds every published port (proxy first: it holds the port), then the
   * DNAT rule. An IPv6 host address goes to the container's IPv6 address
   * (its IPv4 one through the proxy when it has none); with no host
   * address, a container with IPv6 is also published on [::] with the
   * same port, as Docker ≥ 20.10.
   */
  async publish(c: ContainerRecord, ip: string): Promise<void> {
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
      await this.firewall.addPortRule(published, endpoint);
      if (want.hostIp === '' && endpoint?.ipv6 !== undefined) {
        const both: WantedPort = { ...want, hostIp: '::', hostPorts: [proxy.hostPort] };
        try {
          proxies.push(await bindInRange(both, endpoint.ipv6, false));
        } catch (err) {
          // A busy port fails the start; a host without IPv6 only loses the [::] side (as Docker, which warns).
          if (err instanceof EngineError && err.code === 'conflict') throw err;
          this.log.warn('publishing on [::] failed', { id: c.id, port: proxy.hostPort, error: (err as Error).message });
          continue;
        }
        const p6: PublishedPort = { ...published, hostIp: '::' };
        net.ports.push(p6);
        await this.firewall.addPortRule(p6, endpoint);
      }
    }
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
