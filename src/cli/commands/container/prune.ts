import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { humanSize } from '../../format/human-size.js';
import { confirm } from '../system/prune-confirm.js';

/** Runs POST /containers/prune and prints docker's report; returns the bytes reclaimed. */
export async function runContainerPrune(ctx: CliContext, filters: Record<string, string[]>): Promise<number> {
  const r = await ctx.client().transport.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', {
    query: { filters: JSON.stringify(filters) },
  });
  const deleted = r.ContainersDeleted ?? [];
  if (deleted.length > 0) ctx.out(`Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
  return r.SpaceReclaimed;
}

export const containerPruneCommand: CommandSpec = {
  path: ['container', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  args: { kind: 'none' },
  flags: [
    { long: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) return 0;
    const reclaimed = await runContainerPrune(ctx, parseFilters(flags.list('filter')));
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
