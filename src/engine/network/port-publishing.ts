// Published ports: the userland proxies that hold (or serve) the host ports, and their DNAT rules.
import { existsSync } from 'node:fs';
import { EngineError } from '../../errors/engine-error.js';
import type { Logger } from '../../lib/logger.js';
import { adoptPortProxy, startPortProxy, type PortProxy, type PortProxyTarget } from '../../network/port-proxy.js';
import { moveOutOfDaemonCgroup, proxyCgroupOf } from '../../network/proxy-cgroup.js';
import { cgroupParentFor } from '../containers/cgroup-parent.js';
import { endProcess, isRecordedProcess, ownedProxyProcesses, PortProxyRecords, type PortProxyRecord } from '../../network/port-proxy-record.js';
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

/** A proxy of a container and, for a berth-proxy process, its record on disk. */
interface OwnedProxy {
  readonly proxy: PortProxy;
  readonly record?: PortProxyRecord;
}

/**
 * The proxies of each container, by container id; close() or closeAll() ends
 * them. berth-proxy processes outlive the daemon: each has a record under
 * the exec root, and at start adoptable() + republish() take over those of
 * running containers and end the rest.
 */
export class PortPublisher {
  private readonly proxies = new Map<string, OwnedProxy[]>();
  private readonly records: PortProxyRecords;

  constructor(
    private readonly firewall: BridgeFirewall,
    private readonly log: Logger,
    /** The kernel serves loopback too: IPv4 proxies only hold their ports. */
    private readonly hairpin: boolean,
    /** daemon.json userland-proxy: [::] may be relayed to an IPv4-only container. */
    private readonly userlandProxy: boolean,
    /** The daemon's exec root: proxy records live in <execRoot>/port-proxies, and it tags the proxies' argv. */
    private readonly execRoot: string,
  ) {
    this.records = new PortProxyRecords(`${execRoot}/port-proxies`);
  }

  /**
   * Starts a proxy for the container; a berth-proxy leaves the daemon's
   * cgroup and is recorded before it is owned (a proxy that cannot be
   * recorded is ended: nothing could re-adopt it).
   */
  private async start(containerId: string, list: OwnedProxy[], t: PortProxyTarget): Promise<PortProxy> {
    const proxy = await startPortProxy(t, { owner: this.execRoot });
    if (proxy.pid === undefined || proxy.startTime === undefined) {
      list.push({ proxy });
      return proxy;
    }
    const record: PortProxyRecord = { pid: proxy.pid, startTime: proxy.startTime, containerId, proto: t.proto, hostIp: t.hostIp, hostPort: proxy.hostPort, containerIp: t.containerIp, containerPort: t.containerPort };
    try {
      const failed = await moveOutOfDaemonCgroup(record.pid, proxyCgroupOf(cgroupParentFor(this.execRoot)));
      if (failed.length > 0) this.log.warn('port proxy left in the daemon cgroup', { pid: record.pid, errors: failed });
      await this.records.write(record);
    } catch (err) {
      await proxy.close().catch(() => undefined);
      throw err;
    }
    list.push({ proxy, record });
    return proxy;
  }

  private async end(o: OwnedProxy): Promise<void> {
    await o.proxy.close().catch(() => undefined);
    if (o.record) await this.records.remove(o.record);
  }

  private async bindInRange(containerId: string, list: OwnedProxy[], want: WantedPort, containerIp: string, holdOnly: boolean): Promise<PortProxy> {
    let last: unknown;
    for (const hostPort of want.hostPorts) {
      try {
        // Only IPv4 has the kernel hairpin path; an IPv6 port keeps its proxy.
        return await this.start(containerId, list, { proto: want.proto, hostIp: want.hostIp, hostPort, containerIp, containerPort: want.containerPort, holdOnly: holdOnly && !want.hostIp.includes(':') });
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

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
    const proxies: OwnedProxy[] = [];
    this.proxies.set(c.id, proxies);
    const target6 = endpoint?.ipv6 ?? (this.userlandProxy ? ip : undefined);
    for (const want of wantedPorts(c)) {
      if (want.hostIp.includes(':')) {
        if (target6 === undefined) continue;
        const proxy = await this.bindInRange(c.id, proxies, want, target6, this.hairpin);
        await this.record(net, endpoint, want, want.hostIp, proxy.hostPort);
        continue;
      }
      const both = want.hostIp === '' && target6 !== undefined && hostHasIpv6();
      // both proxies are owned (closed with the container) before a rule can fail
      const [proxy, proxy6] = both ? await this.bindDualStack(c.id, proxies, want, ip, target6) : [await this.bindInRange(c.id, proxies, want, ip, this.hairpin), undefined];
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
  private async bindDualStack(id: string, list: OwnedProxy[], want: WantedPort, ip: string, target6: string): Promise<[PortProxy, PortProxy | undefined]> {
    const random = want.hostPorts.length === 1 && want.hostPorts[0] === 0;
    const candidates = random ? Array.from({ length: RANDOM_PORT_TRIES }, () => 0) : want.hostPorts;
    let last: unknown;
    for (const candidate of candidates) {
      let proxy: PortProxy;
      try {
        proxy = await this.bindInRange(id, list, { ...want, hostPorts: [candidate] }, ip, this.hairpin);
      } catch (err) {
        last = err;
        continue;
      }
      try {
        return [proxy, await this.bindInRange(id, list, { ...want, hostIp: '::', hostPorts: [proxy.hostPort] }, target6, false)];
      } catch (err) {
        if (err instanceof EngineError && err.code === 'conflict') {
          // Busy on [::] only: this port is not free for both families, try the next one.
          const i = list.findIndex((o) => o.proxy === proxy);
          const [owned] = i >= 0 ? list.splice(i, 1) : [];
          if (owned) await this.end(owned);
          last = err;
          continue;
        }
        this.log.warn('publishing on [::] failed', { id, port: proxy.hostPort, error: (err as Error).message });
        return [proxy, undefined];
      }
    }
    throw last;
  }

  /**
   * At daemon start, before republish(): the records of proxies that still
   * run, by container id, for the containers in `running`. Records of gone
   * processes are dropped; proxies of other containers, and berth-proxy
   * processes of this daemon that have no record (it died between starting
   * one and recording it), are ended, so that their ports are free.
   */
  async adoptable(running: ReadonlySet<string>): Promise<Map<string, PortProxyRecord[]>> {
    const out = new Map<string, PortProxyRecord[]>();
    const live = new Set<number>();
    for (const r of await this.records.list()) {
      if (!(await isRecordedProcess(r))) {
        await this.records.remove(r);
      } else if (!running.has(r.containerId)) {
        this.log.info('ending the port proxy of a container that is gone', { id: r.containerId, pid: r.pid, port: r.hostPort });
        await endProcess(r);
        await this.records.remove(r);
      } else {
        live.add(r.pid);
        out.set(r.containerId, [...(out.get(r.containerId) ?? []), r]);
      }
    }
    for (const p of await ownedProxyProcesses(this.execRoot)) {
      if (live.has(p.pid)) continue;
      this.log.info('ending an unrecorded port proxy', { pid: p.pid });
      await endProcess(p);
    }
    return out;
  }

  /**
   * After a daemon restart: the recorded ports of a running container again.
   * A proxy still serving the same mapping (in `records`) is adopted; one
   * whose mapping no longer matches is ended; a missing one is started. A
   * port that cannot be had is dropped (and logged).
   */
  async republish(c: ContainerRecord, net: ContainerNetworkFacts, endpoint: ContainerEndpointFacts, records: readonly PortProxyRecord[] = []): Promise<void> {
    const ports = net.ports;
    net.ports = [];
    const proxies: OwnedProxy[] = [];
    this.proxies.set(c.id, proxies);
    const targets = ports.map((p) => {
      const v6 = p.hostIp.includes(':');
      const containerIp = v6 && endpoint.ipv6 !== undefined ? endpoint.ipv6 : endpoint.ip;
      return { port: p, target: { ...p, containerIp, holdOnly: this.hairpin && !v6 } };
    });
    const unmatched = [...records];
    const adopted = new Map<PublishedPort, PortProxyRecord>();
    for (const { port, target } of targets) {
      if (target.holdOnly) continue;
      const i = unmatched.findIndex((r) => r.proto === target.proto && r.hostIp === target.hostIp && r.hostPort === target.hostPort && r.containerIp === target.containerIp && r.containerPort === target.containerPort);
      if (i < 0) continue;
      const [r] = unmatched.splice(i, 1);
      if (r) adopted.set(port, r);
    }
    // Mappings that changed: their proxies go first, they may hold a port wanted below.
    for (const r of unmatched) {
      this.log.info('ending a port proxy whose mapping changed', { id: c.id, pid: r.pid, port: r.hostPort });
      await endProcess(r);
      await this.records.remove(r);
    }
    for (const { port, target } of targets) {
      try {
        const r = adopted.get(port);
        if (r) {
          proxies.push({ proxy: adoptPortProxy(r), record: r });
          this.log.debug('re-adopted port proxy', { id: c.id, pid: r.pid, port: r.hostPort });
        } else {
          await this.start(c.id, proxies, target);
        }
        net.ports.push(port);
        await this.firewall.addPortRule(port, endpoint);
      } catch (err) {
        this.log.warn('re-publishing port failed', { id: c.id, port: port.hostPort, error: (err as Error).message });
      }
    }
  }

  /** Ends the container's proxies (those a previous daemon run started too); their rules are the firewall's to remove. */
  async close(containerId: string): Promise<void> {
    for (const o of this.proxies.get(containerId) ?? []) await this.end(o);
    this.proxies.delete(containerId);
    for (const r of await this.records.list()) {
      if (r.containerId !== containerId) continue;
      await endProcess(r);
      await this.records.remove(r);
    }
  }

  /** Every proxy of this daemon, those it never adopted (their container's republish failed) too. */
  async closeAll(): Promise<void> {
    for (const list of this.proxies.values()) for (const o of list) await this.end(o);
    this.proxies.clear();
    for (const r of await this.records.list()) {
      await endProcess(r);
      await this.records.remove(r);
    }
  }

  /**
   * At a shutdown that leaves containers running (live-restore): the proxy
   * processes and their records stay, for the next start to adopt; only
   * the in-process ones (ports held for the kernel path) end with the daemon.
   */
  async leaveRunning(): Promise<void> {
    for (const list of this.proxies.values()) for (const o of list) if (!o.record) await o.proxy.close().catch(() => undefined);
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
