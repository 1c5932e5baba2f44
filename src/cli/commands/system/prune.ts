import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import { humanSize } from '../../format/human-size.js';
import { runContainerPrune } from '../container/prune.js';
import { runImagePrune } from '../image/prune.js';
import { runNetworkPrune } from '../network/prune.js';
import { runVolumePrune } from '../volume/prune.js';
import { runBuilderPrune } from '../build/prune.js';
import { confirm } from './prune-confirm.js';

export const systemPruneCommand: CommandSpec = {
  path: ['system', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused data',
  args: { kind: 'none' },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images not just dangling ones' },
    { long: 'filter', kind: 'list', description: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
    { long: 'volumes', kind: 'bool', description: 'Prune anonymous volumes' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const volumes = flags.bool('volumes');
    const warning = [
      'WARNING! This will remove:',
      '  - all stopped containers',
      '  - all networks not used by at least one container',
      ...(volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
      all ? '  - all images without at least one container associated to them' : '  - all dangling images',
      all ? '  - all build cache' : '  - unused build cache',
      '',
    ].join('\n');
    if (!flags.bool('force') && !(await confirm(ctx, warning))) return 0;
    const filters = parseFilters(flags.list('filter'));
    let reclaimed = await runContainerPrune(ctx, filters);
    await runNetworkPrune(ctx, filters, { blankAfter: true });
    if (volumes) reclaimed += await runVolumePrune(ctx, filters);
    reclaimed += await runImagePrune(ctx, all, filters);
    reclaimed += await runBuilderPrune(ctx, { all: all || undefined, filters: JSON.stringify(filters) });
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
