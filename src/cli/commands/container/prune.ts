import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { humanSize } from '../../format/human-size.js';
import { confirm } from '../system/prune-confirm.js';
import { pruneAndReport } from '../system/prune-report.js';

/** Runs POST /containers/prune and prints docker's report; returns the bytes reclaimed. */
export function runContainerPrune(ctx: CliContext, filters: Record<string, string[]>): Promise<number> {
  return pruneAndReport(ctx, { path: '/containers/prune', query: { filters: JSON.stringify(filters) }, listKey: 'ContainersDeleted', heading: 'Deleted Containers' });
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
