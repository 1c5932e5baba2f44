import type { AttachConnection } from '../../runtime/container-runtime.js';
import type { ContainerSupervisor } from '../containers/supervisor.js';

/** A started exec whose process this daemon watches. */
export interface LiveExec {
  readonly containerId: string;
  readonly sessionDir: string;
  readonly conn: AttachConnection;
  /** Settles once the exit was recorded. */
  readonly done: Promise<void>;
}

const registry = new WeakMap<ContainerSupervisor, Map<string, LiveExec>>();

/** The running execs of one daemon (in memory; after a restart their exit files tell the rest). */
export function liveExecs(sup: ContainerSupervisor): Map<string, LiveExec> {
  let m = registry.get(sup);
  if (!m) {
    m = new Map();
    registry.set(sup, m);
  }
  return m;
}
