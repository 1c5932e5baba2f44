import type { CommandSpec } from '../../argv/command-spec.js';
import { parseReference, validateAnyReference, validateNormalizedNamed } from '../../format/image-reference.js';

export const tagCommand: CommandSpec = {
  path: ['image', 'tag'],
  aliases: [['tag']],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: { kind: 'exact', count: 2 },
  flags: [],
  async run(ctx, _flags, args) {
    const [source = '', target = ''] = args;
    const check = (ref: string, validate: (r: string) => void): void => {
      try {
        validate(ref);
      } catch (err) {
        throw new Error(`Error parsing reference: ${JSON.stringify(ref)} is not a valid repository/tag: ${(err as Error).message}`);
      }
    };
    check(source, validateAnyReference);
    check(target, validateNormalizedNamed);
    const p = parseReference(target);
    if (p.digest) throw new Error('refusing to create a tag with a digest reference');
    const repo = p.tag ? target.slice(0, target.length - p.tag.length - 1) : target;
    await ctx.client().images.tag(source, repo, p.tag ?? 'latest');
    return 0;
  },
};
