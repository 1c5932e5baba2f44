import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const networkRmCommand: CommandSpec = {
  path: ['network', 'rm'],
  aliases: [['network', 'remove']],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  args: { kind: 'min', count: 1 },
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Do not error if the network does not exist' }],
  async run(ctx, flags, args) {
    await forEachTarget(args, async (name) => {
      try {
        await ctx.client().transport.call('DELETE', `/networks/${encodeURIComponent(name)}`);
      } catch (err) {
        if (flags.bool('force') && /not found/.test((err as Error).message)) return;
        throw err;
      }
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
