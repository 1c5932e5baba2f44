import { invalidArgument } from '../../../errors/engine-error.js';
import { compareVersions } from '../versions.js';

export interface EndpointMacRequest {
  mac?: string;
}

/** moby NetworkMode IsBridge() || IsUserDefined() (the default mode included). */
const bridgeLike = (mode: string): boolean => !['host', 'none'].includes(mode) && !mode.startsWith('container:');

/**
 * moby handleMACAddressBC (api/server/router/container): before API 1.44 the
 * endpoint-specific MacAddress did not exist and is dropped; from 1.44 the
 * container-wide Config.MacAddress moves to the endpoint of HostConfig.NetworkMode,
 * with a deprecation warning. Mutates `config` and `endpoints`; returns the warning.
 */
export function migrateMacAddress(
  config: { MacAddress?: unknown },
  networkMode: string,
  endpoints: Record<string, EndpointMacRequest & { aliases: string[]; ipv4: string }>,
  version: string,
): string | undefined {
  if (compareVersions(version, '1.44') < 0) {
    for (const e of Object.values(endpoints)) delete e.mac;
    return undefined;
  }
  const wide = typeof config.MacAddress === 'string' ? config.MacAddress : '';
  if (wide === '') return undefined;
  if (bridgeLike(networkMode)) {
    const key = networkMode === '' ? 'default' : networkMode;
    const ep = endpoints[key];
    if (Object.keys(endpoints).length === 0) endpoints[key] = { aliases: [], ipv4: '', mac: wide };
    else if (!ep) {
      throw invalidArgument('if a container-wide MAC address is supplied, HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks');
    } else if ((ep.mac ?? '') === '') ep.mac = wide;
    else if (ep.mac !== wide) throw invalidArgument('the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty');
  }
  delete config.MacAddress;
  return 'The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.';
}
