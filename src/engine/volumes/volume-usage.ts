import type { EngineContext } from '../engine-context.js';
import { allContainers } from '../containers/container-repo.js';
import type { ContainerRecord } from '../containers/container-model.js';

/** Ids of containers (in any state) whose mounts name the volume, as Docker's reference counting. */
export function containersUsingVolume(ctx: EngineContext, name: string): string[] {
  return allContainers(ctx.db)
    .filter((c) => mountsOf(c).some((m) => m.type === 'volume' && m.name === name))
    .map((c) => c.id);
}

/** Volume name → number of containers using it. */
export function volumeRefCounts(ctx: EngineContext): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of allContainers(ctx.db)) {
    for (const name of new Set(mountsOf(c).filter((m) => m.type === 'volume').map((m) => m.name ?? ''))) {
      out.set(name, (out.get(name) ?? 0) + 1);
    }
  }
  return out;
}

export function mountsOf(c: ContainerRecord): NonNullable<ContainerRecord['runtime']['mounts']> {
  return c.runtime.mounts ?? [];
}
