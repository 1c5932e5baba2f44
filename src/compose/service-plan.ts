import { LABEL } from './compose-labels.js';

/** What the daemon has for one service: its containers' ids, states and labels. */
export interface ObservedContainer {
  Id: string;
  State: string;
  Labels: Record<string, string> | null;
}

/**
 * The decision for one service, made without touching the daemon: `keep` a running container whose config hash and
 * image match the definition, `start` a stopped one that matches, otherwise `create` (after removing `remove`).
 */
export type ServicePlan =
  | { action: 'keep'; id: string; remove: string[] }
  | { action: 'start'; id: string; remove: string[] }
  | { action: 'create'; recreate: boolean; remove: string[] };

export function planService(observed: readonly ObservedContainer[], want: { hash: string; imageId: string }): ServicePlan {
  // compose v2 recreates on a changed definition (config hash) or a changed image behind the same reference.
  const match = observed.find((c) => c.Labels?.[LABEL.configHash] === want.hash && (c.Labels[LABEL.image] ?? want.imageId) === want.imageId);
  const remove = observed.filter((c) => c !== match).map((c) => c.Id);
  if (!match) return { action: 'create', recreate: observed.length > 0, remove };
  return { action: match.State === 'running' ? 'keep' : 'start', id: match.Id, remove };
}
