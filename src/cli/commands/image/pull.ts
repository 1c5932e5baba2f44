import type { CommandSpec } from '../../argv/command-spec.js';
import { parseReference } from '../../format/image-reference.js';
import { pullImage } from './pull-image.js';

export const pullCommand: CommandSpec = {
  path: ['image', 'pull'],
  aliases: [['pull']],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'all-tags', short: 'a', kind: 'bool', description: 'Download all tagged images in the repository', hidden: true },
    { long: 'platform', kind: 'string', description: 'Set platform if server is multi-platform capable' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx, flags, args) {
    const ref = args[0] ?? '';
    const platform = flags.string('platform');
    if (!parseReference(ref).tag && !parseReference(ref).digest && !flags.bool('quiet')) ctx.out('Using default tag: latest\n');
    await pullImage(ctx, ref, { out: ctx.stdout, quiet: flags.bool('quiet'), ...(platform ? { platform } : {}) });
    const p = parseReference(ref);
    ctx.out(`${p.name}${p.digest ? `@${p.digest}` : `:${p.tag ?? 'latest'}`}\n`);
    return 0;
  },
};
