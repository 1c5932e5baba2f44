import { conflict } from '../../errors/engine-error.js';
import { requireContainer, saveContainerState } from './container-repo.js';
import type { ContainerSupervisor } from './supervisor.js';

/** POST /containers/{id}/pause (cgroup freezer through the runtime). */
export async function pauseContainer(sup: ContainerSupervisor, ref: string): Promise<void> {
  const id = requireContainer(sup.ctx.db, ref).id;
  await sup.withLock(id, async () => {
    const c = requireContainer(sup.ctx.db, id);
    if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
    if (c.state.Paused) throw conflict(`container ${c.id} is already paused`);
    await sup.ctx.runtimes.get(c.runtime.runtime)?.pause(c.id);
    c.state = { ...c.state, Paused: true, Status: 'paused' };
    saveContainerState(sup.ctx.db, c);
    sup.ctx.events.publish('container', 'pause', c.id, { image: c.imageRef, name: c.name });
  });
}

export async function unpauseContainer(sup: ContainerSupervisor, ref: string): Promise<void> {
  const id = requireContainer(sup.ctx.db, ref).id;
  await sup.withLock(id, async () => {
    const c = requireContainer(sup.ctx.db, id);
    if (!c.state.Paused) throw conflict(`container ${c.id} is not paused`);
    await sup.ctx.runtimes.get(c.runtime.runtime)?.resume(c.id);
    c.state = { ...c.state, Paused: false, Status: 'running' };
    saveContainerState(sup.ctx.db, c);
    sup.ctx.events.publish('container', 'unpause', c.id, { image: c.imageRef, name: c.name });
  });
}
