import type { CommandSpec } from '../../argv/command-spec.js';

export const networkDisconnectCommand: CommandSpec = {
  path: ['network', 'disconnect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  args: { kind: 'exact', count: 2 },
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force the container to disconnect from a network' }],
  async run(ctx, flags, args) {
    const [network = '', container = ''] = args;
    await ctx.client().transport.call('POST', `/networks/${encodeURIComponent(network)}/disconnect`, {
      json: { Container: container, Force: flags.bool('force') },
    });
    return 0;
  },
};
