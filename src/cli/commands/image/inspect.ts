import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { inspectObjects } from '../system/inspect.js';

export const imageInspectCommand: CommandSpec = {
  path: ['image', 'inspect'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  args: { kind: 'min', count: 1 },
  flags: [formatFlag('f'), { long: 'platform', kind: 'string', description: 'Inspect a specific platform of the multi-platform image.' }],
  run(ctx, flags, args) {
    return inspectObjects(ctx, { refs: args, types: ['image'], format: flags.string('format'), size: false });
  },
};
