import type { CommandSpec } from '../../argv/command-spec.js';
import { displayJsonMessages } from '../../format/json-progress.js';
import { registryAuthFor } from '../login/docker-config.js';

export const pushCommand: CommandSpec = {
  path: ['image', 'push'],
  aliases: [['push']],
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'all-tags', short: 'a', kind: 'bool', description: 'Push all tags of an image to the repository' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' },
  ],
  async run(ctx, flags, args) {
    const ref = args[0] ?? '';
    const at = ref.indexOf('@');
    const name = at >= 0 ? ref.slice(0, at) : ref;
    const colon = name.lastIndexOf(':');
    const hasTag = colon > name.lastIndexOf('/');
    const repo = hasTag ? name.slice(0, colon) : name;
    let tag = hasTag ? name.slice(colon + 1) : undefined;
    if (!tag && !flags.bool('all-tags')) {
      ctx.out('Using default tag: latest\n');
      tag = 'latest';
    }
    const res = await ctx.client().transport.request('POST', `/images/${encodeURIComponent(repo)}/push`, {
      query: { tag },
      headers: { 'X-Registry-Auth': await registryAuthFor(ctx.env, repo) },
    });
    const sink = flags.bool('quiet') ? ({ write: () => true } as unknown as NodeJS.WritableStream) : ctx.stdout;
    await displayJsonMessages(res, sink as typeof ctx.stdout);
    if (flags.bool('quiet')) ctx.out(`${name}${!hasTag && tag ? `:${tag}` : ''}\n`);
    return 0;
  },
};
