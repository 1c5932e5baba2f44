import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const imageRmCommand: CommandSpec = {
  path: ['image', 'rm'],
  aliases: [['image', 'remove'], ['rmi']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  args: { kind: 'min', count: 1 },
  flags: [
    { long: 'force', short: 'f', kind: 'bool', description: 'Force removal of the image' },
    { long: 'no-prune', kind: 'bool', description: 'Do not delete untagged parents' },
  ],
  async run(ctx, flags, args) {
    await forEachTarget(args, async (name) => {
      const deleted = await ctx.client().images.remove(name, { force: flags.bool('force'), noPrune: flags.bool('no-prune') });
      for (const d of deleted ?? []) {
        if (d.Deleted) ctx.out(`Deleted: ${d.Deleted}\n`);
        else if (d.Untagged) ctx.out(`Untagged: ${d.Untagged}\n`);
      }
    });
    return 0;
  },
};
