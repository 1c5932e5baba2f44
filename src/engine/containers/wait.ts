import { invalidArgument } from '../../errors/engine-error.js';
import { requireContainer } from './container-repo.js';
import type { ContainerSupervisor, WaitCondition, WaitResult } from './supervisor.js';

export function parseWaitCondition(value: string | null): WaitCondition {
  if (value === null || value === '' || value === 'not-running') return 'not-running';
  if (value === 'next-exit' || value === 'removed') return value;
  throw invalidArgument(`invalid condition: "${value}"`);
}

/** POST /containers/{id}/wait. The lookup happens now; the result when the condition is met. */
export function waitContainer(
  sup: ContainerSupervisor,
  ref: string,
  condition: WaitCondition,
  signal?: AbortSignal,
): { id: string; result: Promise<WaitResult> } {
  const c = requireContainer(sup.ctx.db, ref);
  return { id: c.id, result: sup.waitFor(c, condition, signal) };
}
