import type { CommandSpec } from '../../argv/command-spec.js';
import { CliExit } from '../../cli-errors.js';
import { humanSize } from '../../format/human-size.js';

interface PruneReport {
  CachesDeleted?: string[] | null;
  SpaceReclaimed?: number;
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
    if (!flags.bool('force')) {
      ctx.out(`WARNING! This will remove all ${flags.bool('all') ? '' : 'dangling '}build cache.\nAre you sure you want to continue? [y/N] `);
      let answer = '';
      for await (const chunk of ctx.stdin as AsyncIterable<Buffer>) {
        answer += chunk.toString('utf8');
        if (answer.includes('\n')) break;
      }
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const filters: Record<string, Record<string, boolean>> = {};
    for (const f of flags.list('filter')) {
      const eq = f.indexOf('=');
      if (eq <= 0) throw new CliExit(1, `bad format of filter (expected name=value)`);
      const key = f.slice(0, eq);
      (filters[key] ??= {})[f.slice(eq + 1)] = true;
    }
    const report = await ctx.client().transport.json<PruneReport>('POST', '/build/prune', {
      query: { all: flags.bool('all') || undefined, filters: Object.keys(filters).length > 0 ? JSON.stringify(filters) : undefined },
    });
    const deleted = report?.CachesDeleted ?? [];
    if (deleted.length > 0) ctx.out(`Deleted build cache objects:\n${deleted.map((d) => `${d}\n`).join('')}\n`);
    ctx.out(`Total reclaimed space: ${humanSize(report?.SpaceReclaimed ?? 0)}\n`);
    return 0;
  },
};
