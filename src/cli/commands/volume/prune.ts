import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import { humanSize } from '../../format/human-size.js';
import type { CliContext } from '../../cli-context.js';
import { confirm } from '../system/prune-confirm.js';
import { pruneAndReport } from '../system/prune-report.js';

/** Runs POST /volumes/prune and prints docker's report; returns the bytes reclaimed. */
export function runVolumePrune(ctx: CliContext, filters: Record<string, string[]>): Promise<number> {
  return pruneAndReport(ctx, { path: '/volumes/prune', query: { filters: JSON.stringify(filters) }, listKey: 'VolumesDeleted', heading: 'Deleted Volumes' });
}

export const volumePruneCommand: CommandSpec = {
  path: ['volume', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  args: { kind: 'none' },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { long: 'filter', kind: 'list', description: 'Provide filter values (e.g. "label=<label>")' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!flags.bool('force') && !(await confirm(ctx, warning))) return 0;
    const filters = parseFilters(flags.list('filter'));
    if (all) filters['all'] = ['true'];
    const reclaimed = await runVolumePrune(ctx, filters);
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
