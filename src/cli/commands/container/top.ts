import type { CommandSpec } from '../../argv/command-spec.js';
import { tabFormat } from '../../format/tab-writer.js';

export const topCommand: CommandSpec = {
  path: ['container', 'top'],
  aliases: [['top']],
  usage: 'CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container',
  args: { kind: 'min', count: 1 },
  stopAtFirstArg: true,
  flags: [],
  async run(ctx, _flags, args) {
    const [id = '', ...psArgs] = args;
    const top = await ctx.client().transport.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${encodeURIComponent(id)}/top`, {
      query: psArgs.length > 0 ? { ps_args: psArgs.join(' ') } : {},
    });
    const lines = [top.Titles.join('\t'), ...top.Processes.map((p) => p.join('\t'))].join('\n') + '\n';
    // docker top's tabwriter: minwidth 20, padding 3.
    ctx.out(tabFormat(lines, { minWidth: 20, padding: 3 }));
    return 0;
  },
};
