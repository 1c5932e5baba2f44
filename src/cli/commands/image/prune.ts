import type { CommandSpec } from '../../argv/command-spec.js';
import { parseFilters } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { humanSize } from '../../format/human-size.js';
import { confirm } from '../system/prune-confirm.js';

/** Runs POST /images/prune and prints docker's report; returns the bytes reclaimed. */
export async function runImagePrune(ctx: CliContext, all: boolean, filters: Record<string, string[]>): Promise<number> {
  const r = await ctx.client().transport.json<{ ImagesDeleted: ({ Untagged?: string; Deleted?: string })[] | null; SpaceReclaimed: number }>('POST', '/images/prune', {
    query: { filters: JSON.stringify({ ...filters, dangling: [all ? 'false' : 'true'] }) },
  });
  const deleted = r.ImagesDeleted ?? [];
  if (deleted.length > 0) {
    ctx.out(`Deleted Images:\n${deleted.map((d) => (d.Untagged !== undefined ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted ?? ''}\n`)).join('')}\n`);
  }
  return r.SpaceReclaimed;
}

export const imagePruneCommand: CommandSpec = {
  path: ['image', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  args: { kind: 'none' },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { long: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    const all = flags.bool('all');
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!flags.bool('force') && !(await confirm(ctx, warning))) return 0;
    const reclaimed = await runImagePrune(ctx, all, parseFilters(flags.list('filter')));
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
