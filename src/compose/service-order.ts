import { ComposeError } from './compose-error.js';
import type { ComposeProject } from './project-model.js';

/** Services with every dependency before its dependents (file order otherwise); a cycle is an error. */
export function serviceOrder(project: ComposeProject): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') throw new ComposeError(`dependency cycle detected: ${[...path, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of project.services[name]?.depends_on ?? []) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(project.services)) visit(name, []);
  return order;
}
