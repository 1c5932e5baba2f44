import { conflict, invalidArgument } from '../../errors/engine-error.js';
import { renameContainer } from '../../store/container-queries.js';
import { findContainer, requireContainer } from './container-repo.js';
import { normaliseContainerName } from './names.js';
import type { ContainerSupervisor } from './supervisor.js';

/** POST /containers/{id}/rename. */
export function renameContainerTo(sup: ContainerSupervisor, ref: string, newName: string): void {
  const c = requireContainer(sup.ctx.db, ref);
  if (newName === '') throw invalidArgument('Neither old nor new names may be empty');
  const name = normaliseContainerName(newName);
  if (name === c.name) throw invalidArgument('Renaming a container with the same name as its current name');
  const other = findContainer(sup.ctx.db, `/${name}`);
  if (other && other.name === name) {
    throw conflict(
      `Conflict. The container name "/${name}" is already in use by container "${other.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }
  renameContainer(sup.ctx.db, c.id, name);
  sup.ctx.events.publish('container', 'rename', c.id, { name, oldName: `/${c.name}` });
}
