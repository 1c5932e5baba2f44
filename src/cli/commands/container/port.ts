import type { CommandSpec } from '../../argv/command-spec.js';

type PortMap = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;

export const portCommand: CommandSpec = {
  path: ['container', 'port'],
  aliases: [['port']],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  args: { kind: 'range', min: 1, max: 2 },
  flags: [],
  async run(ctx, _flags, args) {
    const [ref = '', wanted] = args;
    const c = (await ctx.client().containers.inspect(ref)) as unknown as { NetworkSettings?: { Ports?: PortMap | null } };
    const ports = c.NetworkSettings?.Ports ?? {};
    const hostAddr = (b: { HostIp: string; HostPort: string }): string => `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`;
    if (wanted !== undefined) {
      const key = wanted.includes('/') ? wanted : `${wanted}/tcp`;
      const bindings = ports[key];
      if (!bindings || bindings.length === 0) throw new Error(`Error: No public port '${key}' published for ${ref}`);
      for (const b of bindings) ctx.out(`${hostAddr(b)}\n`);
      return 0;
    }
    const lines: string[] = [];
    for (const [key, bindings] of Object.entries(ports)) for (const b of bindings ?? []) lines.push(`${key} -> ${hostAddr(b)}`);
    // docker/cli sorts the mappings as strings
    for (const l of lines.sort()) ctx.out(`${l}\n`);
    return 0;
  },
};
