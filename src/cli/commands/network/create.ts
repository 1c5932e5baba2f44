import type { CommandSpec } from '../../argv/command-spec.js';
import { parseKeyValues } from '../../argv/common-flags.js';


export const networkCreateCommand: CommandSpec = {
  path: ['network', 'create'],
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'attachable', kind: 'bool', description: 'Enable manual container attachment' },
    { long: 'aux-address', kind: 'list', description: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' },
    { long: 'driver', short: 'd', kind: 'string', description: 'Driver to manage the Network', defaultValue: 'bridge' },
    { long: 'gateway', kind: 'list', description: 'IPv4 or IPv6 Gateway for the master subnet' },
    { long: 'internal', kind: 'bool', description: 'Restrict external access to the network' },
    { long: 'ip-range', kind: 'list', description: 'Allocate container ip from a sub-range' },
    { long: 'ipv6', kind: 'bool', description: 'Enable or disable IPv6 networking' },
    { long: 'label', kind: 'list', description: 'Set metadata on a network' },
    { long: 'opt', short: 'o', kind: 'list', description: 'Set driver specific options' },
    { long: 'subnet', kind: 'list', description: 'Subnet in CIDR format that represents a network segment' },
  ],
  async run(ctx, flags, args) {
    const subnets = flags.list('subnet');
    const gateways = flags.list('gateway');
    const ranges = flags.list('ip-range');
    // docker/cli pairs each --gateway and --ip-range with the --subnet containing it; Berth takes them in order.
    if (subnets.length === 0 && (gateways.length > 0 || ranges.length > 0)) throw new Error('every ip-range or gateway must have a corresponding subnet');
    const aux = parseKeyValues(flags.list('aux-address'));
    // Each auxiliary address goes with the first subnet (Berth keeps one IPv4 subnet per network), as the CLI's matching does for it.
    const config = subnets.map((s, i) => ({
      Subnet: s,
      ...(gateways[i] ? { Gateway: gateways[i] } : {}),
      ...(ranges[i] ? { IPRange: ranges[i] } : {}),
      ...(i === 0 && Object.keys(aux).length > 0 ? { AuxiliaryAddresses: aux } : {}),
    }));
    const r = await ctx.client().transport.json<{ Id: string }>('POST', '/networks/create', {
      json: {
        Name: args[0] ?? '',
        CheckDuplicate: true,
        Driver: flags.string('driver') ?? 'bridge',
        Internal: flags.bool('internal'),
        Attachable: flags.bool('attachable'),
        ...(flags.bool('ipv6') ? { EnableIPv6: true } : {}),
        Options: parseKeyValues(flags.list('opt')),
        Labels: parseKeyValues(flags.list('label')),
        IPAM: { Driver: 'default', Config: config, Options: {} },
      },
    });
    ctx.out(`${r.Id}\n`);
    return 0;
  },
};
