import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import { humanSize } from '../../format/human-size.js';
import { confirm } from '../system/prune-confirm.js';

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
    const r = await ctx.client().transport.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', {
      query: { filters: JSON.stringify(filters) },
    });
    const deleted = r.VolumesDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted Volumes:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
    return 0;
  },
};
