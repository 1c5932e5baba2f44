import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const volumeRmCommand: CommandSpec = {
  path: ['volume', 'rm'],
  aliases: [['volume', 'remove']],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  args: { kind: 'min', count: 1 },
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force the removal of one or more volumes' }],
  async run(ctx, flags, args) {
    await forEachTarget(args, async (name) => {
      await ctx.client().transport.call('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force: flags.bool('force') ? true : undefined } });
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
