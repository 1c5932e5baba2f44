import type { CommandSpec } from '../../argv/command-spec.js';
import { parseKeyValues } from '../../argv/common-flags.js';


export const volumeCreateCommand: CommandSpec = {
  path: ['volume', 'create'],
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  args: { kind: 'max', count: 1 },
  flags: [
    { long: 'driver', short: 'd', kind: 'string', description: 'Specify volume driver name', defaultValue: 'local' },
    { long: 'label', kind: 'list', description: 'Set metadata for a volume' },
    { long: 'name', kind: 'string', description: 'Specify volume name', hidden: true },
    { long: 'opt', short: 'o', kind: 'list', description: 'Set driver specific options' },
  ],
  async run(ctx, flags, args) {
    const name = args[0] ?? flags.string('name') ?? '';
    if (args[0] !== undefined && flags.string('name') !== undefined) throw new Error('conflicting options: either specify --name or provide positional arg, not both');
    const v = await ctx.client().transport.json<{ Name: string }>('POST', '/volumes/create', {
      json: { Name: name, Driver: flags.string('driver') ?? 'local', DriverOpts: parseKeyValues(flags.list('opt')), Labels: parseKeyValues(flags.list('label')) },
    });
    ctx.out(`${v.Name}\n`);
    return 0;
  },
};
