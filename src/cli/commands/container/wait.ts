import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const waitCommand: CommandSpec = {
  path: ['container', 'wait'],
  aliases: [['wait']],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  args: { kind: 'min', count: 1 },
  flags: [],
  async run(ctx, _flags, args) {
    await forEachTarget(args, async (name) => {
      const res = await ctx.client().containers.wait(name, { condition: 'not-running' });
      if (res.Error?.Message) throw new Error(res.Error.Message);
      ctx.out(`${res.StatusCode}\n`);
    });
    return 0;
  },
};
