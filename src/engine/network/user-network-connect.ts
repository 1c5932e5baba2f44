import { EngineError, invalidArgument } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import type { ContainerRecord, EndpointConfig } from '../containers/container-model.js';
import { requireContainer, saveContainerState } from '../containers/container-repo.js';
import { networkControllerOf } from './container-network.js';
import { findNetwork, type NetworkRecord } from './network-repo.js';
import { requireNetwork } from './user-networks.js';
import { checkedLinkLocalIPs } from './user-endpoints.js';

/**
 * POST /networks/{id}/connect and /disconnect. A running container gets (or
 * loses) an ethN in its namespace at once; a stopped one only has its
 * settings recorded, used at its next start. As in dockerd, any network can
 * be left, the one NetworkMode names too: a container on no network starts
 * with loopback only.
 */
export interface ConnectOptions {
  readonly aliases?: readonly string[];
  readonly ipv4?: string;
  readonly linkLocalIPs?: readonly string[];
}

const forbidden = (message: string): EngineError => new EngineError('forbidden', message);

/** The network a container's NetworkMode names, when it is a bridge network it has not left. */
export function primaryNetwork(ctx: EngineContext, c: ContainerRecord): NetworkRecord | undefined {
  return c.runtime.modeNetworkLeft === true ? undefined : modeNetwork(ctx, c);
}

export async function connectNetwork(ctx: EngineContext, netRef: string, containerRef: string, opts: ConnectOptions): Promise<void> {
  const net = requireNetwork(ctx, netRef);
  const c = requireContainer(ctx.db, containerRef);
  if (net.driver !== 'bridge') throw forbidden(`container cannot be disconnected from host network or connected to host network`);
  const mode = c.runtime.effectiveNetworkMode;
  if (mode !== 'bridge') throw forbidden('container sharing network namespace with another container or host cannot be connected to any other network');
  const primary = primaryNetwork(ctx, c);
  const configs = (c.runtime.endpointConfigs ??= {});
  if (primary?.id === net.id || configs[net.id] !== undefined || c.runtime.network?.endpoints.some((e) => e.networkId === net.id)) {
    throw forbidden(`endpoint with name ${c.name} already exists in network ${net.name}`);
  }
  if ((opts.aliases ?? []).length > 0 && net.name === 'bridge') throw invalidArgument('network-scoped alias is supported only for containers in user defined networks');
  const rejoinsMode = c.runtime.modeNetworkLeft === true && modeNetwork(ctx, c)?.id === net.id;
  const cfg: EndpointConfig = { networkName: net.name, aliases: [...(opts.aliases ?? [])], ipv4: opts.ipv4 ?? '', ...checkedLinkLocalIPs(opts.linkLocalIPs) };
  // The default bridge as NetworkMode keeps no endpoint config (user-endpoints.ts).
  if (!(rejoinsMode && net.name === 'bridge')) configs[net.id] = cfg;
  if (rejoinsMode) delete c.runtime.modeNetworkLeft;
  if (c.state.Running && c.runtime.network) {
    const controller = networkControllerOf(ctx);
    if (!controller) throw new EngineError('unavailable', 'networking is disabled in this daemon');
    try {
      await controller.attachRunning(c, net);
    } catch (err) {
      delete configs[net.id];
      if (rejoinsMode) c.runtime.modeNetworkLeft = true;
      throw err;
    }
  }
  saveContainerState(ctx.db, c);
  ctx.events.publish('network', 'connect', net.id, { container: c.id, name: net.name, type: net.driver });
}

export async function disconnectNetwork(ctx: EngineContext, netRef: string, containerRef: string, _opts: { force?: boolean }): Promise<void> {
  const net = requireNetwork(ctx, netRef);
  const c = requireContainer(ctx.db, containerRef);
  if (net.driver !== 'bridge') throw forbidden('container cannot be disconnected from host network or connected to host network');
  const configs = c.runtime.endpointConfigs ?? {};
  const primary = primaryNetwork(ctx, c);
  const attached = c.runtime.network?.endpoints.some((e) => e.networkId === net.id) === true;
  if (configs[net.id] === undefined && primary?.id !== net.id && !attached) {
    throw forbidden(`container ${c.id} is not connected to network ${net.name}`);
  }
  // dockerd deletes the entry from NetworkSettings.Networks; NetworkMode stays as it was.
  if (primary?.id === net.id) c.runtime.modeNetworkLeft = true;
  delete configs[net.id];
  c.runtime.endpointConfigs = configs;
  await networkControllerOf(ctx)?.detachNetwork(c, net.id);
  saveContainerState(ctx.db, c);
  ctx.events.publish('network', 'disconnect', net.id, { container: c.id, name: net.name, type: net.driver });
}

/** The network NetworkMode names, joined or left. */
function modeNetwork(ctx: EngineContext, c: ContainerRecord): NetworkRecord | undefined {
  if (c.runtime.effectiveNetworkMode !== 'bridge') return undefined;
  return findNetwork(ctx.db, c.hostConfig.NetworkMode === 'default' ? 'bridge' : c.hostConfig.NetworkMode);
}
