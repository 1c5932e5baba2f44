import type { Query } from '../../../client/engine-client.js';
import type { CliContext } from '../../cli-context.js';

/** One `POST /<objects>/prune` call of the CLI and what docker prints of its answer. */
export interface PruneRequest {
  readonly path: string;
  readonly query: Query;
  /** The answer's list of removed ids/names (`ContainersDeleted`, `VolumesDeleted` …). */
  readonly listKey: string;
  /** docker's heading over that list ("Deleted Volumes"). */
  readonly heading: string;
  /** A blank line after the list (every prune but `network prune` on its own prints one). */
  readonly blankAfter?: boolean;
}

/** Runs one prune request and prints docker's "Deleted …:" list; returns the bytes reclaimed (0 when the API reports none). */
export async function pruneAndReport(ctx: CliContext, req: PruneRequest): Promise<number> {
  const r = await ctx.client().transport.json<Record<string, unknown>>('POST', req.path, { query: req.query });
  const deleted = (r?.[req.listKey] as string[] | null | undefined) ?? [];
  if (deleted.length > 0) ctx.out(`${req.heading}:\n${deleted.map((d) => `${d}\n`).join('')}${req.blankAfter === false ? '' : '\n'}`);
  const reclaimed = r?.['SpaceReclaimed'];
  return typeof reclaimed === 'number' ? reclaimed : 0;
}
