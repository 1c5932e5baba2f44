// A container's endpoint on a network: the next ethN, its IPv4 address and mirrored IPv6 one, and the veth into the bridge.
import { randomBytes } from 'node:crypto';
import { conflict } from '../../errors/engine-error.js';
import { ipToInt, macForIp, parseCidr, subnetSize } from '../../network/ipv4.js';
import { bigIntToIp6, parseCidr6 } from '../../network/ipv6.js';
import { attachEndpoint, deleteLink, setDefaultRoute } from '../../network/links.js';
import type { Db } from '../../store/database.js';
import type { ContainerEndpointFacts, ContainerRecord } from '../containers/container-model.js';
import { allocateIp, findNetwork, releaseIp, type NetworkRecord } from './network-repo.js';
import { normaliseMac } from './endpoint-macs.js';

/**
 * Adds an endpoint on `net` to the container's namespace: the next free
 * ethN, an address (the requested --ip if any), a veth into the bridge.
 * The first endpoint carries the default route.
 */
export async function attachContainerEndpoint(db: Db, mtu: number, c: ContainerRecord, net: NetworkRecord): Promise<ContainerEndpointFacts> {
  const facts = c.runtime.network;
  if (!facts || facts.shared) throw conflict('container sharing network namespace with another container or host cannot be connected to any other network');
  const used = new Set(facts.endpoints.map((e) => e.ifName ?? 'eth0'));
  let index = 0;
  while (used.has(`eth${index}`)) index++;
  // The container-wide Config.MacAddress (API < 1.44) is the first endpoint's.
  const requestedMac = c.runtime.macAddresses?.[net.id] ?? (index === 0 ? c.config.MacAddress : undefined);
  const mac = requestedMac !== undefined && requestedMac !== '' ? normaliseMac(requestedMac) : undefined;
  const ip = allocateIp(db, net, c.id, c.runtime.endpointConfigs?.[net.id]?.ipv4 || undefined);
  const endpoint: ContainerEndpointFacts = {
    networkId: net.id,
    networkName: net.name,
    endpointId: randomBytes(32).toString('hex'),
    bridge: net.bridge,
    hostIf: index === 0 ? `vb${c.id.slice(0, 11)}` : `vb${c.id.slice(0, 11)}${index}`,
    ip,
    prefix: parseCidr(net.subnet).prefix,
    gateway: net.gateway,
    mac: mac ?? macForIp(ip),
    ifName: `eth${index}`,
  };
  if ((net.subnet6 ?? '') !== '') {
    endpoint.ipv6 = mirroredIpv6(net, ip);
    endpoint.prefix6 = parseCidr6(net.subnet6 ?? '').prefix;
    endpoint.gateway6 = net.gateway6 ?? '';
  }
  facts.endpoints.push(endpoint);
  try {
    const linkLocal = c.runtime.endpointConfigs?.[net.id]?.linkLocalIPs ?? [];
    await attachEndpoint({ ...endpoint, ifName: `eth${index}`, netnsPath: facts.netnsPath, mtu, defaultRoute: index === 0 && !net.internal, address: ip, linkLocal });
  } catch (err) {
    facts.endpoints = facts.endpoints.filter((e) => e !== endpoint);
    releaseIp(db, c.id, net.id);
    throw err;
  }
  return endpoint;
}

/** Removes the container's endpoint on one network (its veth and address). */
export async function detachContainerEndpoint(db: Db, c: ContainerRecord, networkId: string): Promise<void> {
  const facts = c.runtime.network;
  const e = facts?.endpoints.find((x) => x.networkId === networkId);
  if (facts && e) {
    await deleteLink(e.hostIf);
    const hadRoute = facts.endpoints[0] === e;
    facts.endpoints = facts.endpoints.filter((x) => x !== e);
    // dockerd moves the default route to a remaining endpoint.
    const next = facts.endpoints[0];
    if (hadRoute && next && findNetwork(db, next.networkId)?.internal !== true) await setDefaultRoute(facts.netnsPath, next.ifName ?? 'eth0', next.gateway);
  }
  releaseIp(db, c.id, networkId);
}

/** The IPv6 host part mirrors the IPv4 one (unique per network, no second allocator): 10.1.2.3 in /24 → <subnet6>::3. */
function mirroredIpv6(net: NetworkRecord, ip: string): string {
  const s6 = parseCidr6(net.subnet6 ?? '');
  const s4 = parseCidr(net.subnet);
  const candidate = s6.base + BigInt(ipToInt(ip) - s4.base);
  return bigIntToIp6(candidate === parseGateway6(net) ? candidate + BigInt(subnetSize(s4)) : candidate);
}

function parseGateway6(n: NetworkRecord): bigint | undefined {
  return (n.gateway6 ?? '') === '' ? undefined : parseCidr6(`${n.gateway6 ?? ''}/128`).base;
}
