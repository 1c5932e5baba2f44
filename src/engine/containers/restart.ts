import { requireContainer } from './container-repo.js';
import { runContainerProcess } from './start.js';
import { stopRunning, type StopOptions } from './stop.js';
import type { ContainerSupervisor } from './supervisor.js';

/** POST /containers/{id}/restart: stop if running, then start. */
export async function restartContainer(sup: ContainerSupervisor, ref: string, opts: StopOptions = {}): Promise<void> {
  const first = requireContainer(sup.ctx.db, ref);
  if (first.state.Running) await stopRunning(sup, first, opts);
  await sup.withLock(first.id, async () => {
    const c = requireContainer(sup.ctx.db, first.id);
    if (c.state.Running) return;
    c.runtime.stoppedByUser = false;
    await runContainerProcess(sup, c);
  });
  sup.ctx.events.publish('container', 'restart', first.id, { image: first.imageRef, name: first.name });
}
