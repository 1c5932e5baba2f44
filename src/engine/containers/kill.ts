import { conflict, notFound } from '../../errors/engine-error.js';
import { findContainer, saveContainerState } from './container-repo.js';
import { parseSignal, SIGKILL } from './signals.js';
import type { ContainerSupervisor } from './supervisor.js';
import { releaseCapture } from '../../logging/log-capture.js';

/** POST /containers/{id}/kill. Waits for the exit to be recorded when the signal is SIGKILL, as Docker does. */
export async function killContainer(sup: ContainerSupervisor, ref: string, signalName = 'SIGKILL'): Promise<void> {
  const ctx = sup.ctx;
  const c = findContainer(ctx.db, ref);
  if (!c) throw notFound(`Cannot kill container: ${ref}: No such container: ${ref}`);
  const signal = parseSignal(signalName);
  if (!c.state.Running) throw conflict(`Cannot kill container: ${ref}: Container ${c.id} is not running`); // dockerd 20.10's text
  const runtime = ctx.runtimes.get(c.runtime.runtime);
  if (!runtime) throw conflict(`runtime ${c.runtime.runtime} is not configured`);
  const exited = signal === SIGKILL ? sup.waitFor(c, 'next-exit') : undefined;
  if (signal === SIGKILL) {
    c.runtime.stoppedByUser = true;
    saveContainerState(ctx.db, c);
  }
  await runtime.kill(c.id, signal);
  // A log writer held up by a receiver would keep conmon from seeing the exit.
  if (signal === SIGKILL) await releaseCapture(c.runtime.bundleDir);
  ctx.events.publish('container', 'kill', c.id, { image: c.imageRef, name: c.name, signal: String(signal) });
  if (exited) await exited;
}
