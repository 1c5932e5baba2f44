import type { EngineContext } from '../engine-context.js';
import type { ContainerRecord } from '../containers/container-model.js';
import type { NetworkController } from './network-controller.js';

/**
 * The hooks the container lifecycle calls. They do nothing when the daemon
 * runs without networking (--bridge none), so engine code can call them always.
 */
const controllers = new WeakMap<EngineContext, NetworkController>();

export function registerNetworkController(ctx: EngineContext, controller: NetworkController): void {
  controllers.set(ctx, controller);
}

export function networkControllerOf(ctx: EngineContext): NetworkController | undefined {
  return controllers.get(ctx);
}

/** Before `runtime create`: namespace, veth, address, published ports. Undoes itself on failure. */
export async function connectContainerNetwork(ctx: EngineContext, c: ContainerRecord): Promise<void> {
  await controllers.get(ctx)?.connect(c);
}

/** After the container's process ended (or its start failed) and on removal. Idempotent. */
export async function releaseContainerNetwork(ctx: EngineContext, c: ContainerRecord): Promise<void> {
  const controller = controllers.get(ctx);
  if (controller) await controller.release(c);
  else c.runtime.network = undefined;
}
