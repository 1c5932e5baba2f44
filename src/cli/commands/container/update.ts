import type { CommandSpec } from '../../argv/command-spec.js';
import type { FlagSpec } from '../../argv/flag-parser.js';
import { CliExit, describeError, forEachTarget } from '../../cli-errors.js';
import { parseMemory, parseRestartPolicy } from './container-flags.js';
import { RESOURCE_FLAGS, resourceFields } from './resource-flags.js';

export const updateCommand: CommandSpec = {
  path: ['container', 'update'],
  aliases: [['update']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers',
  args: { kind: 'min', count: 1 },
  flags: ([
    ...RESOURCE_FLAGS,
    { long: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit' },
    { long: 'restart', kind: 'string', description: 'Restart policy to apply when a container exits' },
  ] as FlagSpec[]).sort((a, b) => a.long.localeCompare(b.long)),
  async run(ctx, flags, args) {
    let body: Record<string, unknown>;
    try {
      body = resourceFields(flags, parseMemory);
      const memory = flags.string('memory');
      if (memory !== undefined) body['Memory'] = parseMemory(memory);
      const restart = flags.string('restart');
      if (restart !== undefined) body['RestartPolicy'] = parseRestartPolicy(restart);
    } catch (err) {
      throw new CliExit(125, `${ctx.prog}: ${describeError(err)}\n\nRun '${ctx.prog} update --help' for more information`);
    }
    if (Object.keys(body).length === 0) throw new CliExit(1, `${ctx.prog}: you must provide one or more flags when using this command\n`);
    await forEachTarget(args, async (name) => {
      await ctx.client().transport.json('POST', `/containers/${encodeURIComponent(name)}/update`, { json: body });
      ctx.out(`${name}\n`);
    });
    return 0;
  },
};
