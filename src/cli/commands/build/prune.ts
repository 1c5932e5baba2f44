import type { CommandSpec } from '../../argv/command-spec.js';
import { CliExit } from '../../cli-errors.js';
import type { Query } from '../../../client/engine-client.js';
import type { CliContext } from '../../cli-context.js';
import { humanSize } from '../../format/human-size.js';
import { confirm } from '../system/prune-confirm.js';
import { pruneAndReport } from '../system/prune-report.js';

/** Runs POST /build/prune and prints docker's list of removed cache objects; returns the bytes reclaimed. */
export function runBuilderPrune(ctx: CliContext, query: Query): Promise<number> {
  return pruneAndReport(ctx, { path: '/build/prune', query, listKey: 'CachesDeleted', heading: 'Deleted build cache objects' });
}

export const builderPruneCommand: CommandSpec = {
  path: ['builder', 'prune'],
  usage: '[OPTIONS]',
  description: 'Remove build cache',
  args: { kind: 'none' },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused build cache, not just dangling ones' },
    { long: 'filter', kind: 'list', description: 'Provide filter values (e.g. "until=24h")' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  async run(ctx, flags) {
    if (!flags.bool('force') && !(await confirm(ctx, `WARNING! This will remove all ${flags.bool('all') ? '' : 'dangling '}build cache.`))) return 0;
    const filters: Record<string, Record<string, boolean>> = {};
    for (const f of flags.list('filter')) {
      const eq = f.indexOf('=');
      if (eq <= 0) throw new CliExit(1, `bad format of filter (expected name=value)`);
      const key = f.slice(0, eq);
      (filters[key] ??= {})[f.slice(eq + 1)] = true;
    }
    const reclaimed = await runBuilderPrune(ctx, { all: flags.bool('all') || undefined, filters: Object.keys(filters).length > 0 ? JSON.stringify(filters) : undefined });
    ctx.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};
