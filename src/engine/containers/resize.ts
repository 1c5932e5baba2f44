import { conflict } from '../../errors/engine-error.js';
import { requireContainer } from './container-repo.js';
import type { ContainerSupervisor } from './supervisor.js';

/** POST /containers/{id}/resize: only meaningful for a running TTY container. */
export async function resizeContainerTty(sup: ContainerSupervisor, ref: string, rows: number, cols: number): Promise<void> {
  const c = requireContainer(sup.ctx.db, ref);
  if (!c.state.Running) throw conflict(`cannot resize container ${c.id}: container is not running`);
  if (!c.config.Tty || rows <= 0 || cols <= 0) return;
  await sup.ctx.runtimes.get(c.runtime.runtime)?.resize(c.runtime.bundleDir, rows, cols);
}
