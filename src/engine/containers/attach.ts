import { requireContainer } from './container-repo.js';
import type { AttachSink } from './attach-sink.js';
import { readContainerLogs } from './logs.js';
import type { ContainerSupervisor } from './supervisor.js';

export interface AttachOptions {
  /** Replay the log before streaming. */
  readonly logs: boolean;
  /** Stream live output (and stdin). */
  readonly stream: boolean;
}

/**
 * POST /containers/{id}/attach: replays the log if asked, then connects the
 * sink to the running container, or keeps it until the next start.
 */
export async function attachContainer(sup: ContainerSupervisor, ref: string, sink: AttachSink, opts: AttachOptions): Promise<void> {
  const c = requireContainer(sup.ctx.db, ref);
  if (opts.logs) {
    for await (const entry of readContainerLogs(sup, c.id, { stdout: sink.stdout, stderr: sink.stderr, follow: false })) {
      sink.write(entry.stream, entry.data);
    }
  }
  if (!opts.stream) {
    sink.end();
    return;
  }
  await sup.withLock(c.id, async () => {
    const now = requireContainer(sup.ctx.db, c.id);
    sup.addAttachSink(c.id, sink);
    if (now.state.Running) await sup.connectAttachSinks(now, sink);
  });
  sup.ctx.events.publish('container', 'attach', c.id, { image: c.imageRef, name: c.name });
}
