import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { ConnectionError } from '../../../client/client-error.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { renderInspect } from '../../format/inspect-output.js';

export const volumeInspectCommand: CommandSpec = {
  path: ['volume', 'inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  args: { kind: 'min', count: 1 },
  flags: [formatFlag('f')],
  async run(ctx, flags, args) {
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args) {
      try {
        found.push(await ctx.client().transport.json('GET', `/volumes/${encodeURIComponent(name)}`));
      } catch (err) {
        if (err instanceof ConnectionError) throw err;
        errors.push(describeError(err));
      }
    }
    ctx.out(renderInspect(found, flags.string('format')));
    if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
    return 0;
  },
};
