import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { confirm } from '../system/prune-confirm.js';
import { pruneAndReport } from '../system/prune-report.js';

/** Runs POST /networks/prune and prints docker's list of removed networks. */
export async function runNetworkPrune(ctx: CliContext, filters: Record<string, string[]>, opts: { blankAfter: boolean }): Promise<void> {
  await pruneAndReport(ctx, { path: '/networks/prune', query: { filters: JSON.stringify(filters) }, listKey: 'NetworksDeleted', heading: 'Deleted Networks', ...opts });
}

export const networkPruneCommand: CommandSpec = {
  path: ['network', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  args: { kind: 'none' },
  flags: [
    { long: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    const warning = 'WARNING! This will remove all custom networks not used by at least one container.';
    if (!flags.bool('force') && !(await confirm(ctx, warning))) return 0;
    await runNetworkPrune(ctx, parseFilters(flags.list('filter')), { blankAfter: false });
    return 0;
  },
};
