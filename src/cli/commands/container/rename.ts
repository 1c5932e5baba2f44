import type { CommandSpec } from '../../argv/command-spec.js';

export const renameCommand: CommandSpec = {
  path: ['container', 'rename'],
  aliases: [['rename']],
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  args: { kind: 'exact', count: 2 },
  flags: [],
  async run(ctx, _flags, args) {
    const [oldName = '', newName = ''] = args.map((a) => a.trim());
    if (oldName === '' || newName === '') throw new Error('Error: Neither old nor new names may be empty');
    await ctx.client().containers.rename(oldName, newName);
    return 0;
  },
};
