import { conflict, invalidArgument } from '../../errors/engine-error.js';
import { updateContainerHostConfig } from '../../store/container-queries.js';
import { requireContainer } from './container-repo.js';
import type { HostConfig, RestartPolicy } from './container-model.js';
import { adaptResources, ociResources, type ResourceFields } from './resources.js';
import type { ContainerSupervisor } from './supervisor.js';

/** The body of POST /containers/{id}/update: Docker's Resources plus RestartPolicy. */
export interface ContainerUpdate extends ResourceFields {
  RestartPolicy?: Partial<RestartPolicy>;
}

const updatable: readonly (keyof ResourceFields)[] = [
  'Memory', 'MemoryReservation', 'MemorySwap', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight',
];

/**
 * POST /containers/{id}/update (docker update): validates the merged
 * settings as create does, applies them to a live container through the
 * runtime, then records them. Returns Docker's warnings.
 */
export async function updateContainer(sup: ContainerSupervisor, ref: string, update: ContainerUpdate): Promise<{ Warnings: string[] }> {
  const first = requireContainer(sup.ctx.db, ref);
  return sup.withLock(first.id, async () => {
    const c = requireContainer(sup.ctx.db, first.id);
    const next: HostConfig = { ...c.hostConfig };
    const given = new Set<string>();
    for (const key of updatable) {
      const v = update[key];
      // Docker treats zero values as "unchanged" (except PidsLimit, where 0 and -1 mean unlimited).
      if (v === undefined || v === null || (v === 0 && key !== 'PidsLimit') || v === '') continue;
      next[key] = v;
      given.add(key);
    }
    if (given.has('Memory') && !given.has('MemorySwap')) {
      // moby: raising memory above a swap limit that was implicitly 2×memory keeps the same ratio.
      const oldMem = Number(c.hostConfig['Memory'] ?? 0);
      const oldSwap = Number(c.hostConfig['MemorySwap'] ?? 0);
      if (oldSwap > 0 && oldSwap === oldMem * 2) next['MemorySwap'] = Number(next['Memory']) * 2;
      else if (oldSwap > 0 && Number(next['Memory']) > oldSwap) {
        throw conflict(`Cannot update container ${c.id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
      }
    }
    if (update.RestartPolicy && update.RestartPolicy.Name !== undefined) {
      const name = update.RestartPolicy.Name === '' ? 'no' : update.RestartPolicy.Name;
      if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
        throw invalidArgument(`invalid restart policy '${name}'`);
      }
      if (name !== 'on-failure' && (update.RestartPolicy.MaximumRetryCount ?? 0) > 0) throw invalidArgument(`maximum retry count cannot be used with restart policy '${name}'`);
      if ((update.RestartPolicy.MaximumRetryCount ?? 0) < 0) throw invalidArgument('maximum retry count cannot be negative');
      if (c.hostConfig.AutoRemove && name !== 'no') throw invalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
      next.RestartPolicy = { Name: name, MaximumRetryCount: name === 'on-failure' ? update.RestartPolicy.MaximumRetryCount ?? 0 : 0 };
    }
    let warnings: string[];
    try {
      warnings = await adaptResources(next);
    } catch (err) {
      throw invalidArgument(`Cannot update container ${c.id}: ${(err as Error).message}`);
    }
    if (c.state.Running) {
      const runtime = sup.ctx.runtimes.get(c.runtime.runtime);
      if (!runtime) throw conflict(`runtime ${c.runtime.runtime} is not configured`);
      try {
        await runtime.update(c.id, ociResources(next));
      } catch (err) {
        throw invalidArgument(`Cannot update container ${c.id}: ${(err as Error).message}`);
      }
    }
    updateContainerHostConfig(sup.ctx.db, c.id, JSON.stringify(next));
    sup.ctx.events.publish('container', 'update', c.id, { image: c.imageRef, name: c.name });
    return { Warnings: warnings };
  });
}
