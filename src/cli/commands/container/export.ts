import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { CommandSpec } from '../../argv/command-spec.js';

export const exportCommand: CommandSpec = {
  path: ['container', 'export'],
  aliases: [['export']],
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  args: { kind: 'exact', count: 1 },
  flags: [{ long: 'output', short: 'o', kind: 'string', description: 'Write to a file, instead of STDOUT' }],
  async run(ctx, flags, args) {
    const output = flags.string('output');
    if (!output && ctx.stdout.isTTY) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.client().transport.request('GET', `/containers/${encodeURIComponent(args[0] ?? '')}/export`);
    if (output) await pipeline(res, createWriteStream(output));
    else await pipeline(res, ctx.stdout, { end: false });
    return 0;
  },
};
