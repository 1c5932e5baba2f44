import type { EngineContext } from '../engine-context.js';
import type { ContainerRecord } from '../containers/container-model.js';
import type { ResolvedMount } from './volume-model.js';

const volumeMounts = (c: ContainerRecord): ResolvedMount[] =>
  (c.runtime.mounts ?? []).filter((m) => m.type === 'volume' && m.name !== undefined);

/**
 * Docker's volume 'mount' event, one per volume mount at container start
 * (daemon setupMounts): driver, container, destination, read/write, propagation.
 */
export function publishVolumeMount(ctx: EngineContext, c: ContainerRecord, m: ResolvedMount, driver: string): void {
  ctx.events.publish('volume', 'mount', m.name ?? '', {
    container: c.id,
    destination: m.destination,
    driver,
    propagation: m.propagation,
    'read/write': String(!m.readOnly),
  });
}

/** Docker's volume 'unmount' events when a stopped container's volumes are released (after 'die'). */
export function publishVolumeUnmounts(ctx: EngineContext, c: ContainerRecord): void {
  for (const m of volumeMounts(c)) ctx.events.publish('volume', 'unmount', m.name ?? '', { container: c.id, driver: 'local' });
}
