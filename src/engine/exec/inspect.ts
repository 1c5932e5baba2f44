import type { ContainerSupervisor } from '../containers/supervisor.js';
import type { ExecRecord } from './exec-model.js';
import { requireExec } from './exec-repo.js';
import { settleOrphanExec } from './start.js';

/** GET /exec/{id}/json. */
export async function inspectExec(sup: ContainerSupervisor, ref: string): Promise<ExecRecord> {
  const e = requireExec(sup.ctx.db, ref);
  if (!e.state.Running) return e;
  await settleOrphanExec(sup, e);
  return requireExec(sup.ctx.db, e.id);
}
