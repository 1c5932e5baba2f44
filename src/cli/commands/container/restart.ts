import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const restartCommand: CommandSpec = {
  path: ['container', 'restart'],
  aliases: [['restart']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  args: { kind: 'min', count: 1 },
  flags: [
    { long: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' },
    { long: 'timeout', short: 't', kind: 'int', description: 'Seconds to wait before killing the container' },
    { long: 'time', kind: 'int', description: 'Seconds to wait before killing the container (deprecated)', hidden: true },
  ],
  async run(ctx, flags, args) {
    const timeout = flags.int('timeout') ?? flags.int('time');
    const signal = flags.string('signal');
    await forEachTarget(args, async (name) => {
      await ctx.client().containers.restart(name, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
