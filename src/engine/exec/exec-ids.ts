import type { Db } from '../../store/database.js';
import type { ContainerRecord } from '../containers/container-model.js';
import { execsOfContainer } from './exec-repo.js';

/**
 * Container inspect's ExecIDs: the execs Docker still tracks on the container
 * (created or running, not yet exited), null when there are none.
 */
export function activeExecIds(db: Db, c: ContainerRecord): string[] | null {
  if (!c.state.Running) return null;
  const ids = execsOfContainer(db, c.id)
    .filter((e) => e.state.ExitCode === null && (!e.state.Started || e.state.Running))
    .map((e) => e.id);
  return ids.length > 0 ? ids : null;
}
