import type { CommandSpec } from '../../argv/command-spec.js';

const KINDS = ['C', 'A', 'D'];

export const diffCommand: CommandSpec = {
  path: ['container', 'diff'],
  aliases: [['diff']],
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  args: { kind: 'exact', count: 1 },
  flags: [],
  async run(ctx, _flags, args) {
    const changes = await ctx.client().transport.json<{ Path: string; Kind: number }[] | null>('GET', `/containers/${encodeURIComponent(args[0] ?? '')}/changes`);
    for (const c of changes ?? []) ctx.out(`${KINDS[c.Kind] ?? '?'} ${c.Path}\n`);
    return 0;
  },
};
