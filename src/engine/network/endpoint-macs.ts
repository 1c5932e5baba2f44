import { invalidArgument } from '../../errors/engine-error.js';
import type { Db } from '../../store/database.js';
import { StartSetupError } from '../containers/start-setup-error.js';
import { findNetwork } from './network-repo.js';

/*
 * Requested MAC addresses: the container-wide Config.MacAddress (API < 1.44,
 * applied to the first endpoint) and NetworkingConfig.EndpointsConfig.<net>.MacAddress
 * (API ≥ 1.44; the daemon's compat layer migrates the old field into it).
 */

// moby runconfig.ErrConflictContainerNetworkAndMac (validateNetMode, at create).
const conflictText = 'conflicting options: mac-address and the network mode';

/**
 * Per network id, the MAC the user asked for on that network. Throws
 * Docker's conflict when the network mode has no endpoint of its own
 * (host, container:…); `none` accepts and ignores it, as dockerd 20.10 does.
 */
export function requestedMacs(
  db: Db,
  opts: {
    readonly networkMode: string;
    readonly effectiveMode: string;
    readonly containerWide: string | undefined;
    readonly endpoints: Readonly<Record<string, { readonly mac?: string }>>;
  },
): Record<string, string> | undefined {
  const perEndpoint = Object.entries(opts.endpoints).filter(([, e]) => (e.mac ?? '') !== '');
  const noEndpoint = opts.networkMode === 'host' || opts.networkMode.startsWith('container:');
  if (noEndpoint && ((opts.containerWide ?? '') !== '' || perEndpoint.length > 0)) throw invalidArgument(conflictText);
  if (opts.effectiveMode !== 'bridge') return undefined;
  const out: Record<string, string> = {};
  for (const [key, e] of perEndpoint) {
    const n = findNetwork(db, key === 'default' ? 'bridge' : key);
    if (n) out[n.id] = e.mac ?? '';
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Go net.ParseMAC for 48-bit addresses (xx:xx…, xx-xx…, xxxx.xxxx.xxxx), lower-cased with colons; dockerd's start-time error otherwise. */
export function normaliseMac(mac: string): string {
  const hex = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(?:\1[0-9a-fA-F]{2}){4}$/.test(mac)
    ? mac.replace(/[:-]/g, '')
    : /^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(mac)
      ? mac.replace(/\./g, '')
      : undefined;
  if (hex === undefined) throw new StartSetupError(`address ${mac}: invalid MAC address`);
  return hex.toLowerCase().replace(/(..)(?!$)/g, '$1:');
}
