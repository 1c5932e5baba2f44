import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import { confirm } from '../system/prune-confirm.js';

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
    const r = await ctx.client().transport.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', {
      query: { filters: JSON.stringify(parseFilters(flags.list('filter'))) },
    });
    const deleted = r.NetworksDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};
