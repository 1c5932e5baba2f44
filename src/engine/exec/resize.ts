import { conflict, invalidArgument } from '../../errors/engine-error.js';
import { requireContainer } from '../containers/container-repo.js';
import type { ContainerSupervisor } from '../containers/supervisor.js';
import { requireExec } from './exec-repo.js';
import { liveExecs } from './live-execs.js';

/** POST /exec/{id}/resize: resizes the exec's TTY through its conmon's ctl fifo. */
export async function resizeExecTty(sup: ContainerSupervisor, ref: string, rows: number, cols: number): Promise<void> {
  const e = requireExec(sup.ctx.db, ref);
  const live = liveExecs(sup).get(e.id);
  if (!live) throw conflict(`Exec ${e.id} is not running`);
  const c = requireContainer(sup.ctx.db, e.containerId);
  const runtime = sup.ctx.runtimes.get(c.runtime.runtime);
  if (!runtime) throw invalidArgument(`unknown or invalid runtime name: ${c.runtime.runtime}`);
  await runtime.resize(live.sessionDir, rows, cols);
}
