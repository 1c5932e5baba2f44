import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { inspectObjects } from '../system/inspect.js';

export const containerInspectCommand: CommandSpec = {
  path: ['container', 'inspect'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  args: { kind: 'min', count: 1 },
  flags: [formatFlag('f'), { long: 'size', short: 's', kind: 'bool', description: 'Display total file sizes' }],
  run(ctx, flags, args) {
    return inspectObjects(ctx, { refs: args, types: ['container'], format: flags.string('format'), size: flags.bool('size') });
  },
};
