import type { EngineContext } from '../engine-context.js';
import type { AttachConnection } from '../../runtime/container-runtime.js';
import type { AttachSink } from './attach-sink.js';
import type { ContainerRecord } from './container-model.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string };
}

interface Waiter {
  readonly condition: WaitCondition;
  readonly resolve: (result: WaitResult) => void;
}

/**
 * In-memory coordination for live containers: one operation at a time per
 * container, waiters for exit/removal, and attach clients waiting for the
 * container's next start. Nothing here is persisted; after a daemon restart
 * clients simply reconnect.
 */
export class ContainerSupervisor {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly attachSinks = new Map<string, Set<AttachSink>>();
  private readonly liveAttach = new Map<string, Set<AttachConnection>>();
  /** Containers whose removal is under way (AutoRemove or rm). */
  readonly removing = new Set<string>();

  constructor(readonly ctx: EngineContext) {}

  /** Runs `fn` after every earlier operation on the same container has settled. */
  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(id, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === settled) this.locks.delete(id);
    }
  }

  /** Resolves when the condition is met; `current` decides whether 'not-running' is met already. */
  waitFor(container: ContainerRecord, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    if (condition === 'not-running' && !container.state.Running) {
      return Promise.resolve(resultOf(container));
    }
    return new Promise<WaitResult>((resolve, reject) => {
      let set = this.waiters.get(container.id);
      if (!set) {
        set = new Set();
        this.waiters.set(container.id, set);
      }
      const waiter: Waiter = {
        condition,
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
      };
      const onAbort = (): void => {
        this.waiters.get(container.id)?.delete(waiter);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
    });
  }

  /** Called after an exit was recorded. */
  notifyExit(container: ContainerRecord): void {
    const set = this.waiters.get(container.id);
    if (!set) return;
    for (const w of [...set]) {
      if (w.condition === 'removed') continue;
      set.delete(w);
      w.resolve(resultOf(container));
    }
  }

  /** Called after the container's record is gone; every waiter resolves. */
  notifyRemoved(container: ContainerRecord): void {
    const set = this.waiters.get(container.id);
    this.waiters.delete(container.id);
    for (const w of set ?? []) w.resolve(resultOf(container));
    for (const sink of this.attachSinks.get(container.id) ?? []) sink.end();
    this.attachSinks.delete(container.id);
  }

  addAttachSink(id: string, sink: AttachSink): void {
    let set = this.attachSinks.get(id);
    if (!set) {
      set = new Set();
      this.attachSinks.set(id, set);
    }
    set.add(sink);
  }

  removeAttachSink(id: string, sink: AttachSink): void {
    this.attachSinks.get(id)?.delete(sink);
  }

  /**
   * Connects every waiting attach client to the container's conmon. Called
   * between `runtime create` and `runtime start`, so no output is lost, and
   * for clients arriving while the container runs.
   */
  async connectAttachSinks(container: ContainerRecord, only?: AttachSink): Promise<void> {
    const sinks = only ? [only] : [...(this.attachSinks.get(container.id) ?? [])];
    const runtime = this.ctx.runtimes.get(container.runtime.runtime);
    if (!runtime) return;
    for (const sink of sinks) {
      if (sink.closed) {
        this.removeAttachSink(container.id, sink);
        continue;
      }
      let conn: AttachConnection;
      try {
        conn = await runtime.attach(container.runtime.bundleDir);
      } catch (err) {
        this.ctx.log.warn('attach to conmon failed', { id: container.id, error: (err as Error).message });
        continue;
      }
      let live = this.liveAttach.get(container.id);
      if (!live) {
        live = new Set();
        this.liveAttach.set(container.id, live);
      }
      live.add(conn);
      conn.onData((stream, data) => {
        if (stream === 'stdout' && sink.stdout) sink.write('stdout', data);
        if (stream === 'stderr' && sink.stderr) sink.write('stderr', data);
      });
      conn.onEnd(() => {
        this.liveAttach.get(container.id)?.delete(conn);
        // The sink stays registered for the next start only while its client is still there.
        this.removeAttachSink(container.id, sink);
        sink.end();
      });
      if (sink.wantsStdin && sink.connectStdin) {
        sink.connectStdin(
          (data) => conn.writeStdin(data),
          () => conn.closeStdin(),
        );
      }
    }
  }

  /** Ends attach clients that were waiting for a start that failed. */
  endAttachSinks(id: string): void {
    for (const sink of this.attachSinks.get(id) ?? []) sink.end();
    this.attachSinks.delete(id);
  }
}

function resultOf(c: ContainerRecord): WaitResult {
  // The start error is reported by the start call itself; the CLI treats a wait Error as a wait failure.
  return { StatusCode: c.state.ExitCode };
}
