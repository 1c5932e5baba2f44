import type { ContainerRecord, ContainerEndpointFacts } from '../../../engine/containers/container-model.js';

/** The network name Docker shows for a container's mode ('container:' modes show none). */
export function containerNetworkNames(c: ContainerRecord): string[] {
  const mode = c.runtime.effectiveNetworkMode;
  if (mode === 'container' || mode === 'disabled') return [];
  if (mode === 'host') return ['host'];
  if (mode === 'none' || mode === 'bridge-as-none') return [mode === 'none' ? 'none' : 'bridge'];
  const requested = c.hostConfig.NetworkMode === 'default' ? 'bridge' : c.hostConfig.NetworkMode;
  const configs = Object.entries(c.runtime.endpointConfigs ?? {});
  // NetworkMode may name the network by id (or prefix); its endpoint config knows the name.
  const primary = configs.find(([id]) => id.startsWith(requested))?.[1].networkName ?? requested;
  // After `network disconnect` from it, dockerd shows only the networks left (maybe none).
  const names = c.runtime.modeNetworkLeft === true ? [] : [primary];
  for (const [, cfg] of configs) if (!names.includes(cfg.networkName)) names.push(cfg.networkName);
  return names;
}

export function endpointWire(e: ContainerEndpointFacts | undefined): Record<string, unknown> {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: e?.mac ?? '',
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: e?.networkId ?? '',
    EndpointID: e?.endpointId ?? '',
    Gateway: e?.gateway ?? '',
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e?.prefix ?? 0,
    IPv6Gateway: e?.gateway6 ?? '',
    GlobalIPv6Address: e?.ipv6 ?? '',
    GlobalIPv6PrefixLen: e?.prefix6 ?? 0,
    DNSNames: null,
  };
}

function configuredMac(c: ContainerRecord, name: string): string {
  const macs = c.runtime.macAddresses ?? {};
  // A requested MAC without a user endpoint config is the default bridge's.
  const id = Object.keys(macs).find((k) => {
    const cfg = c.runtime.endpointConfigs?.[k];
    return cfg ? cfg.networkName === name : name === 'bridge';
  });
  return id !== undefined ? (macs[id] ?? '') : '';
}

/** NetworkSettings.Networks keyed by network name. */
export function networksWire(c: ContainerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of containerNetworkNames(c)) {
    const live = c.runtime.network?.endpoints.find((e) => e.networkName === name);
    const wire = endpointWire(live);
    // dockerd keeps the requested endpoint MAC in the endpoint settings before the endpoint exists.
    if (!live) wire['MacAddress'] = configuredMac(c, name);
    const user = Object.entries(c.runtime.endpointConfigs ?? {}).find(([, cfg]) => cfg.networkName === name);
    if (user) {
      const [id, cfg] = user;
      if (id !== cfg.networkName) wire['NetworkID'] ||= id; // not for a network still missing (kept by its name)
      wire['Aliases'] = cfg.aliases.length > 0 ? cfg.aliases : null;
      wire['DNSNames'] = [c.name, ...cfg.aliases, c.id.slice(0, 12)];
      const linkLocal = cfg.linkLocalIPs ?? [];
      wire['IPAMConfig'] = cfg.ipv4 !== '' || linkLocal.length > 0 ? { ...(cfg.ipv4 !== '' ? { IPv4Address: cfg.ipv4 } : {}), ...(linkLocal.length > 0 ? { LinkLocalIPs: linkLocal } : {}) } : null;
      // On a user network Docker keeps --link in the primary endpoint's settings (the links act as DNS aliases there).
      const links = c.hostConfig.Links ?? [];
      if (name === containerNetworkNames(c)[0] && links.length > 0) wire['Links'] = links;
    }
    out[name] = wire;
  }
  return out;
}

/** NetworkSettings.Ports: bound ports with their host side, exposed ones as null. */
export function portMapWire(c: ContainerRecord): Record<string, Array<{ HostIp: string; HostPort: string }> | null> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  if (!c.state.Running || c.runtime.effectiveNetworkMode !== 'bridge') return out;
  // dockerd: a container left on no network shows no ports.
  if (c.runtime.network?.endpoints.length === 0) return out;
  for (const key of Object.keys(c.config.ExposedPorts ?? {})) out[key] = null;
  for (const p of c.runtime.network?.ports ?? []) {
    const key = `${p.containerPort}/${p.proto}`;
    (out[key] ??= []).push({ HostIp: p.hostIp === '' ? '0.0.0.0' : p.hostIp, HostPort: String(p.hostPort) });
  }
  return out;
}

/** The Ports list of GET /containers/json. */
export function portListWire(c: ContainerRecord): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const published = new Set<string>();
  for (const p of c.runtime.network?.ports ?? []) {
    published.add(`${p.containerPort}/${p.proto}`);
    out.push({ IP: p.hostIp === '' ? '0.0.0.0' : p.hostIp, PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.proto });
  }
  for (const key of Object.keys(c.config.ExposedPorts ?? {})) {
    if (published.has(key)) continue;
    const [port = '0', proto = 'tcp'] = key.split('/');
    out.push({ PrivatePort: Number(port), Type: proto });
  }
  return out;
}
