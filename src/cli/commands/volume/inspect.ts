import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { inspectObjects } from '../inspect-objects.js';

export const volumeInspectCommand: CommandSpec = {
  path: ['volume', 'inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  args: { kind: 'min', count: 1 },
  flags: [formatFlag('f')],
  run: (ctx, flags, args) => inspectObjects(ctx, flags, args, (name) => `/volumes/${name}`),
};
