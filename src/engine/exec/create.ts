import { parseDetachKeys } from '../containers/detach-keys.js';
import { randomBytes } from 'node:crypto';
import { conflict, invalidArgument } from '../../errors/engine-error.js';
import { requireContainer } from '../containers/container-repo.js';
import type { ContainerSupervisor } from '../containers/supervisor.js';
import type { ExecConfig } from './exec-model.js';
import { saveNewExec } from './exec-repo.js';

export type ExecCreateOptions = Partial<ExecConfig>;

/** POST /containers/{id}/exec: records an exec instance to be started later. */
export function createExec(sup: ContainerSupervisor, containerRef: string, opts: ExecCreateOptions): { Id: string } {
  const c = requireContainer(sup.ctx.db, containerRef);
  if (!Array.isArray(opts.Cmd) || opts.Cmd.length === 0) throw invalidArgument('No exec command specified');
  if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
  if (c.state.Paused) throw conflict(`container ${c.id} is paused, unpause the container before exec`);
  if (c.state.Restarting) throw conflict(`container ${c.id} is restarting, wait until the container is running`);
  if (opts.DetachKeys) parseDetachKeys(opts.DetachKeys); // dockerd refuses bad keys at create
  const id = randomBytes(32).toString('hex');
  const config: ExecConfig = {
    User: opts.User ?? '',
    Privileged: opts.Privileged ?? false,
    Tty: opts.Tty ?? false,
    AttachStdin: opts.AttachStdin ?? false,
    AttachStdout: opts.AttachStdout ?? false,
    AttachStderr: opts.AttachStderr ?? false,
    DetachKeys: opts.DetachKeys ?? '',
    Env: [...(opts.Env ?? [])],
    WorkingDir: opts.WorkingDir ?? '',
    Cmd: opts.Cmd.map(String),
    ConsoleSize: Array.isArray(opts.ConsoleSize) && opts.ConsoleSize.length === 2 ? opts.ConsoleSize : null,
  };
  saveNewExec(sup.ctx.db, { id, containerId: c.id, config, state: { Running: false, ExitCode: null, Pid: 0, Started: false } });
  sup.ctx.events.publish('container', `exec_create: ${config.Cmd.join(' ')}`, c.id, { execID: id, image: c.imageRef, name: c.name });
  return { Id: id };
}
