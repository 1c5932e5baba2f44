import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostCommand, tryHostCommand } from './host-command.js';
import type { IdMapping } from '../lib/id-mapping.js';
import { createNetnsInUserns, removeUsernsPin } from './userns-netns.js';

/**
 * Host links and network namespaces through iproute2 and util-linux.
 * Lifecycle: ensureBridge → (createNetns → attachEndpoint … → removeNetns)* → deleteLink(bridge).
 * A namespace is a bind mount of nsfs on a file the caller names (under the
 * daemon's exec root), so it outlives the container's process and never shows in `ip netns`.
 */

/** Creates the bridge if missing, gives it its gateway address and brings it up. Idempotent. */
export async function ensureBridge(name: string, gatewayCidr: string, mtu: number): Promise<void> {
  if ((await tryHostCommand('ip', ['link', 'show', 'dev', name])).code !== 0) {
    await hostCommand('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  }
  await hostCommand('ip', ['link', 'set', 'dev', name, 'mtu', String(mtu)]);
  await pinBridgeMac(name);
  const addrs = await hostCommand('ip', ['-o', '-4', 'addr', 'show', 'dev', name]);
  if (!addrs.includes(` ${gatewayCidr} `)) {
    await hostCommand('ip', ['addr', 'flush', 'dev', name]);
    await hostCommand('ip', ['addr', 'add', gatewayCidr, 'dev', name]);
  }
  await hostCommand('ip', ['link', 'set', 'dev', name, 'up']);
}

/**
 * A bridge whose MAC was never set takes the lowest MAC of its ports, so it changes as containers come and go and
 * the containers' ARP entries for the gateway go stale (the embedded DNS and the route are unreachable for ~15 s).
 * libnetwork sets the bridge's MAC for the same reason; its current one is kept (addr_assign_type 3 = set).
 */
async function pinBridgeMac(name: string): Promise<void> {
  const assign = await readFile(`/sys/class/net/${name}/addr_assign_type`, 'utf8').catch(() => '3');
  if (assign.trim() === '3') return;
  const mac = (await readFile(`/sys/class/net/${name}/address`, 'utf8')).trim();
  await hostCommand('ip', ['link', 'set', 'dev', name, 'address', mac]);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await tryHostCommand('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Deletes a link; a missing one is fine. */
export async function deleteLink(name: string): Promise<void> {
  await tryHostCommand('ip', ['link', 'delete', 'dev', name]);
}

/** Names of links enslaved to a bridge. */
export async function linksOfBridge(bridge: string): Promise<string[]> {
  const r = await tryHostCommand('ip', ['-o', 'link', 'show', 'master', bridge]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^@:\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** IPv4 routes of the host, as CIDR strings ("default" left out). */
export async function hostRoutes(): Promise<string[]> {
  const out = await hostCommand('ip', ['-4', 'route', 'show', 'table', 'all']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map((w) => (w[0] === 'local' || w[0] === 'broadcast' ? w[1] : w[0]))
    .filter((d): d is string => d !== undefined && d !== '' && d !== 'default' && /^\d/.test(d))
    .map((d) => (d.includes('/') ? d : `${d}/32`));
}

/** IPv6 routes of the host, as CIDR strings (default, multicast and link-local left out). */
export async function hostRoutes6(): Promise<string[]> {
  const r = await tryHostCommand('ip', ['-6', 'route', 'show', 'table', 'all']);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map((w) => (['local', 'anycast', 'unreachable', 'broadcast', 'multicast'].includes(w[0] ?? '') ? w[1] : w[0]))
    .filter((d): d is string => d !== undefined && d.includes(':') && !/^(fe80|ff)/i.test(d))
    .map((d) => (d.includes('/') ? d : `${d}/128`));
}

/** A new network namespace pinned at `path`; with `idMap` (userns-remap) owned by a new user namespace with those maps (see userns-netns.ts). */
export async function createNetns(path: string, idMap?: IdMapping): Promise<void> {
  await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
  await writeFile(path, '');
  if (idMap) await createNetnsInUserns(path, idMap);
  else await hostCommand('unshare', [`--net=${path}`, 'true']);
}

/** Unpins and deletes a namespace file; the namespace (and its veth ends) goes once nothing uses it. */
export async function removeNetns(path: string): Promise<void> {
  await tryHostCommand('umount', [path]);
  await rm(path, { force: true });
  await removeUsernsPin(path);
}

export interface EndpointLink {
  readonly bridge: string;
  /** Host-side veth name (≤ 15 chars). */
  readonly hostIf: string;
  /** Interface name inside the namespace (eth0, eth1…). */
  readonly ifName: string;
  readonly netnsPath: string;
  readonly address: string;
  readonly prefix: number;
  readonly gateway: string;
  readonly mac: string;
  readonly mtu: number;
  /** Set the default route through this endpoint's gateway. */
  readonly defaultRoute: boolean;
  /** IPv6 address (nodad, as Docker), prefix and gateway, when the network has IPv6. */
  readonly ipv6?: string;
  readonly prefix6?: number;
  readonly gateway6?: string;
  /** Link-local addresses added beside the main one (IPv4 as /16, IPv6 as /64, as libnetwork). */
  readonly linkLocal?: readonly string[];
}

/** A veth pair: one end on the bridge, the other configured inside the namespace. */
export async function attachEndpoint(e: EndpointLink): Promise<void> {
  await deleteLink(e.hostIf);
  await hostCommand('ip', ['link', 'add', 'name', e.hostIf, 'mtu', String(e.mtu), 'type', 'veth', 'peer', 'name', e.ifName, 'mtu', String(e.mtu), 'netns', e.netnsPath]);
  try {
    await hostCommand('ip', ['link', 'set', 'dev', e.hostIf, 'master', e.bridge, 'up']);
    const batch = [
      'link set dev lo up',
      `link set dev ${e.ifName} address ${e.mac}`,
      `addr add ${e.address}/${e.prefix} dev ${e.ifName}`,
      `link set dev ${e.ifName} up`,
      ...(e.defaultRoute ? [`route replace default via ${e.gateway} dev ${e.ifName}`] : []),
      ...(e.ipv6 !== undefined ? [`addr add ${e.ipv6}/${e.prefix6 ?? 64} dev ${e.ifName} nodad`] : []),
      ...(e.ipv6 !== undefined && e.defaultRoute && e.gateway6 !== undefined ? [`route replace default via ${e.gateway6} dev ${e.ifName}`] : []),
      ...(e.linkLocal ?? []).map((a) => (a.includes(':') ? `addr add ${a}/64 dev ${e.ifName} nodad` : `addr add ${a}/16 dev ${e.ifName}`)),
    ];
    await hostCommand('nsenter', [`--net=${e.netnsPath}`, 'ip', '-batch', '-'], batch.join('\n') + '\n');
  } catch (err) {
    await deleteLink(e.hostIf);
    throw err;
  }
}

/** Brings up loopback in a namespace that gets no endpoint (attachEndpoint does it otherwise). */
export async function loopbackUp(netnsPath: string): Promise<void> {
  await hostCommand('nsenter', [`--net=${netnsPath}`, 'ip', 'link', 'set', 'dev', 'lo', 'up']);
}

/** Points the namespace's default route at `gateway` through `ifName` (after the endpoint that had it left). */
export async function setDefaultRoute(netnsPath: string, ifName: string, gateway: string): Promise<void> {
  await hostCommand('nsenter', [`--net=${netnsPath}`, 'ip', 'route', 'replace', 'default', 'via', gateway, 'dev', ifName]);
}

/** Gives a bridge its IPv6 gateway address (nodad: usable at once). Idempotent. */
export async function ensureBridgeIpv6(name: string, gatewayCidr: string): Promise<void> {
  await hostCommand('sysctl', ['-q', '-w', `net.ipv6.conf.${name}.disable_ipv6=0`]).catch(() => undefined);
  await hostCommand('ip', ['-6', 'addr', 'replace', gatewayCidr, 'dev', name, 'nodad']);
}
