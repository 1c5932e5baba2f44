import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { inspectObjects } from '../inspect-objects.js';

export const networkInspectCommand: CommandSpec = {
  path: ['network', 'inspect'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  args: { kind: 'min', count: 1 },
  flags: [formatFlag('f'), { long: 'verbose', short: 'v', kind: 'bool', description: 'Verbose output for diagnostics' }],
  run: (ctx, flags, args) => inspectObjects(ctx, flags, args, (name) => `/networks/${name}`),
};
