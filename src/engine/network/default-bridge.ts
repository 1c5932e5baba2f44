// The predefined networks (host, none) and the default bridge's record, made again when the daemon options no longer match it.
import { randomBytes } from 'node:crypto';
import { EngineError } from '../../errors/engine-error.js';
import { cidrString, parseCidr, subnetContains } from '../../network/ipv4.js';
import { bigIntToIp6, cidr6String, parseCidr6 } from '../../network/ipv6.js';
import type { Db } from '../../store/database.js';
import { nowRfc3339Nano } from '../containers/container-model.js';
import type { NetworkControllerOptions } from './network-controller-options.js';
import { insertNetwork, networkByName, type NetworkRecord } from './network-repo.js';

export type DefaultBridgeOptions = Pick<NetworkControllerOptions, 'bridge' | 'bip' | 'mtu' | 'icc' | 'fixedCidr' | 'ipv6' | 'fixedCidrV6'>;

/** Where the default bridge's subnets come from when the options do not name them. */
export interface SubnetSource {
  freeSubnet(): Promise<{ subnet: string; gateway: string }>;
  freeSubnet6(): Promise<string>;
}

export async function ensurePredefinedNetworks(db: Db, opts: DefaultBridgeOptions, pool: SubnetSource): Promise<void> {
  for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
    if (!networkByName(db, name)) insertNetwork(db, predefined(name, driver, '', '', ''));
  }
  let bridge = networkByName(db, 'bridge');
  const wanted = opts.bip !== undefined ? { subnet: cidrString(parseCidr(opts.bip)), gateway: opts.bip.split('/')[0] ?? '' } : undefined;
  const icc = opts.icc !== false;
  const iccChanged = bridge !== undefined && bridge.options['com.docker.network.bridge.enable_icc'] !== String(icc);
  const fixedCidr = opts.fixedCidr !== undefined && opts.fixedCidr !== '' ? cidrString(parseCidr(opts.fixedCidr)) : '';
  // IPv6 on the default bridge: fixed-cidr-v6 when given, else the ULA /64 it already has, else a new one.
  const fixed6 = opts.ipv6 === true && (opts.fixedCidrV6 ?? '') !== '' ? cidr6String(parseCidr6(opts.fixedCidrV6 ?? '')) : '';
  const v6Changed = bridge !== undefined && (opts.ipv6 === true ? (fixed6 !== '' ? bridge.subnet6 !== fixed6 : (bridge.subnet6 ?? '') === '') : (bridge.subnet6 ?? '') !== '');
  if (bridge && (iccChanged || v6Changed || bridge.ipRange !== fixedCidr || bridge.bridge !== opts.bridge || (wanted && (wanted.subnet !== bridge.subnet || wanted.gateway !== bridge.gateway)))) {
    db.prepare('DELETE FROM networks WHERE id = ?').run(bridge.id);
    bridge = undefined;
  }
  if (bridge) return;
  const addr = wanted ?? (await pool.freeSubnet());
  bridge = predefined('bridge', 'bridge', opts.bridge, addr.subnet, addr.gateway);
  if (fixedCidr !== '') {
    const s = parseCidr(addr.subnet);
    const r = parseCidr(fixedCidr);
    if (r.prefix < s.prefix || !subnetContains(s, r.base)) throw new EngineError('invalid_argument', `fixed-cidr ${fixedCidr} is not inside the bridge subnet ${addr.subnet}`);
    bridge.ipRange = fixedCidr;
  }
  if (opts.ipv6 === true) {
    const s6 = fixed6 !== '' ? parseCidr6(fixed6) : parseCidr6(await pool.freeSubnet6());
    if (s6.prefix > 120) throw new EngineError('invalid_argument', `fixed-cidr-v6 ${fixed6} is too small`);
    bridge.subnet6 = cidr6String(s6);
    bridge.gateway6 = bigIntToIp6(s6.base + 1n);
  }
  bridge.options = {
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.bridge.enable_icc': String(icc),
    'com.docker.network.bridge.enable_ip_masquerade': 'true',
    'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
    'com.docker.network.bridge.name': opts.bridge,
    'com.docker.network.driver.mtu': String(opts.mtu),
  };
  insertNetwork(db, bridge);
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
