import type { CommandSpec } from '../../argv/command-spec.js';

export const networkConnectCommand: CommandSpec = {
  path: ['network', 'connect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  args: { kind: 'exact', count: 2 },
  flags: [
    { long: 'alias', kind: 'list', description: 'Add network-scoped alias for the container' },
    { long: 'ip', kind: 'string', description: 'IPv4 address (e.g., "172.30.100.104")' },
  ],
  async run(ctx, flags, args) {
    const [network = '', container = ''] = args;
    const ip = flags.string('ip');
    await ctx.client().transport.call('POST', `/networks/${encodeURIComponent(network)}/connect`, {
      json: { Container: container, EndpointConfig: { Aliases: flags.list('alias'), ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}) } },
    });
    return 0;
  },
};
