import type { CommandSpec } from '../../argv/command-spec.js';

/** `repo[:tag]` → repo, tag; a colon inside a registry host:port is not a tag. */
function splitRepoTag(ref: string): [string, string | undefined] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, undefined];
}

export const commitCommand: CommandSpec = {
  path: ['container', 'commit'],
  aliases: [['commit']],
  usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  description: "Create a new image from a container's changes",
  args: { kind: 'range', min: 1, max: 2 },
  flags: [
    { long: 'author', short: 'a', kind: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { long: 'change', short: 'c', kind: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { long: 'message', short: 'm', kind: 'string', description: 'Commit message' },
    { long: 'pause', short: 'p', kind: 'bool', description: 'Pause container during commit', defaultValue: true },
    { long: 'no-pause', kind: 'bool', description: 'Disable pausing container during commit' },
  ],
  async run(ctx, flags, args) {
    const [repo, tag] = args[1] ? splitRepoTag(args[1]) : [undefined, undefined];
    const pause = flags.bool('no-pause') ? false : flags.has('pause') ? flags.bool('pause') : true;
    const r = await ctx.client().transport.json<{ Id: string }>('POST', '/commit', {
      query: {
        container: args[0] ?? '',
        repo,
        tag,
        comment: flags.string('message'),
        author: flags.string('author'),
        pause,
        changes: flags.list('change'),
      },
      json: {},
    });
    ctx.out(`${r.Id}\n`);
    return 0;
  },
};
