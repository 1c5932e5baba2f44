import type { CommandSpec } from '../../argv/command-spec.js';
import { forEachTarget } from '../../cli-errors.js';

export const rmCommand: CommandSpec = {
  path: ['container', 'rm'],
  aliases: [['container', 'remove'], ['rm']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  args: { kind: 'min', count: 1 },
  flags: [
    { long: 'force', short: 'f', kind: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { long: 'link', short: 'l', kind: 'bool', description: 'Remove the specified link' },
    { long: 'volumes', short: 'v', kind: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
  async run(ctx, flags, args) {
    await forEachTarget(args, async (name) => {
      const trimmed = name.replace(/^\//, '');
      if (trimmed === '') throw new Error('Container name cannot be empty');
      await ctx.client().containers.remove(trimmed, { force: flags.bool('force'), volumes: flags.bool('volumes'), link: flags.bool('link') });
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
