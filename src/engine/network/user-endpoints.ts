import { invalidArgument, notFound } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import type { EndpointConfig } from '../containers/container-model.js';
import { findNetwork } from './network-repo.js';

/** NetworkingConfig.EndpointsConfig[<network>] as the engine takes it. */
export interface EndpointRequest {
  readonly aliases?: readonly string[];
  readonly ipv4?: string;
  /** Requested MAC address (API ≥ 1.44); see endpoint-macs.ts. */
  readonly mac?: string;
  readonly linkLocalIPs?: readonly string[];
}

/** dockerd's check of IPAMConfig.LinkLocalIPs: IPv4 in 169.254.0.0/16 or IPv6 in fe80::/10 (400 at create or connect). */
export function checkedLinkLocalIPs(ips: readonly string[] | undefined): { linkLocalIPs?: string[] } {
  if (!ips || ips.length === 0) return {};
  for (const ip of ips) {
    const v4 = /^169\.254\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
    const ok = v4 ? Number(v4[1]) <= 255 && Number(v4[2]) <= 255 : /^fe[89ab][0-9a-f]?:[0-9a-f:]*$/i.test(ip);
    if (!ok) throw invalidArgument(`invalid link local IP address: ${ip}`);
  }
  return { linkLocalIPs: [...ips] };
}

/**
 * The user networks a new container joins (its NetworkMode plus any other
 * EndpointsConfig entry), and the DNS server its resolv.conf names: the
 * primary user network's gateway. Docker points containers at 127.0.0.11
 * with a resolver inside the namespace; Berth's DNS listens on the gateway instead.
 */
export function resolveEndpointConfigs(
  ctx: EngineContext,
  networkMode: string,
  effectiveMode: string,
  requested: Readonly<Record<string, EndpointRequest>>,
): { configs: Record<string, EndpointConfig> | undefined; dnsServer: string | undefined } {
  const entries = Object.entries(requested);
  if (effectiveMode !== 'bridge') {
    if (entries.some(([, r]) => (r.ipv4 ?? '') !== '')) throw invalidArgument('user specified IP address is supported on user defined networks only');
    return { configs: undefined, dnsServer: undefined };
  }
  const primaryRef = networkMode === 'default' ? 'bridge' : networkMode;
  const primary = findNetwork(ctx.db, primaryRef);
  const configs: Record<string, EndpointConfig> = {};
  if (!primary) {
    // dockerd: a missing network is the start's error; the endpoint request waits under the network's name.
    const own = requested[primaryRef];
    configs[primaryRef] = { networkName: primaryRef, aliases: [...(own?.aliases ?? [])], ipv4: own?.ipv4 ?? '', ...checkedLinkLocalIPs(own?.linkLocalIPs) };
  }
  const onDefault = primary?.name === 'bridge';
  if (primary && !onDefault) configs[primary.id] = { networkName: primary.name, aliases: [], ipv4: '' };
  for (const [key, r] of entries) {
    // docker CLI ≥ 25 sends an entry for its network mode even without --network, keyed "default".
    const ref = key === 'default' ? 'bridge' : key;
    if (!primary && ref === primaryRef) continue;
    const n = ref === primaryRef ? primary : findNetwork(ctx.db, ref);
    if (!n) throw notFound(`network ${ref} not found`);
    if (n.driver !== 'bridge') continue;
    if (n.name === 'bridge') {
      if ((r.ipv4 ?? '') !== '') throw invalidArgument('user specified IP address is supported on user defined networks only');
      if ((r.aliases ?? []).length > 0) throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
      continue;
    }
    configs[n.id] = { networkName: n.name, aliases: [...(r.aliases ?? [])], ipv4: r.ipv4 ?? '', ...checkedLinkLocalIPs(r.linkLocalIPs) };
  }
  return { configs: Object.keys(configs).length > 0 ? configs : undefined, dnsServer: onDefault ? undefined : primary?.gateway };
}
