import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const unpauseCommand: CommandSpec = {
  path: ['container', 'unpause'],
  aliases: [['unpause']],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  args: { kind: 'min', count: 1 },
  flags: [],
  async run(ctx, _flags, args) {
    await forEachTarget(args, async (name) => {
      await ctx.client().containers.unpause(name);
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
