import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const pauseCommand: CommandSpec = {
  path: ['container', 'pause'],
  aliases: [['pause']],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  args: { kind: 'min', count: 1 },
  flags: [],
  async run(ctx, _flags, args) {
    await forEachTarget(args, async (name) => {
      await ctx.client().containers.pause(name);
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
