import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const killCommand: CommandSpec = {
  path: ['container', 'kill'],
  aliases: [['kill']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  args: { kind: 'min', count: 1 },
  flags: [{ long: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' }],
  async run(ctx, flags, args) {
    const signal = flags.string('signal');
    await forEachTarget(args, async (name) => {
      await ctx.client().containers.kill(name, signal ? { signal } : {});
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
