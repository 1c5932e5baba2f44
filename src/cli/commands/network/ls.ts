import type { CommandSpec } from '../../argv/command-spec.js';
import { filterFlag, formatFlag, parseFilters } from '../../argv/common-flags.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';

interface WireNetwork {
  Name: string;
  Id: string;
  Created: string;
  Driver: string;
  Scope: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Labels: Record<string, string> | null;
}

/** The fields `docker network ls --format` offers. */
class NetworkRow {
  constructor(
    private readonly n: WireNetwork,
    private readonly trunc: boolean,
  ) {}
  get ID(): string {
    return this.trunc ? this.n.Id.slice(0, 12) : this.n.Id;
  }
  get Name(): string {
    return this.n.Name;
  }
  get Driver(): string {
    return this.n.Driver;
  }
  get Scope(): string {
    return this.n.Scope;
  }
  get IPv6(): string {
    return String(this.n.EnableIPv6);
  }
  get Internal(): string {
    return String(this.n.Internal);
  }
  get CreatedAt(): string {
    return this.n.Created;
  }
  get Labels(): string {
    return Object.entries(this.n.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(',');
  }
  Label(name: string): string {
    return this.n.Labels?.[name] ?? '';
  }
}

const headers = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', CreatedAt: 'CREATED AT', Labels: 'LABELS' };

export const networkLsCommand: CommandSpec = {
  path: ['network', 'ls'],
  aliases: [['network', 'list']],
  usage: '[OPTIONS]',
  description: 'List networks',
  args: { kind: 'none' },
  flags: [
    filterFlag,
    formatFlag(),
    { long: 'no-trunc', kind: 'bool', description: 'Do not truncate the output' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display network IDs' },
  ],
  async run(ctx, flags) {
    const list = await ctx.client().transport.json<WireNetwork[]>('GET', '/networks', {
      query: { filters: JSON.stringify(parseFilters(flags.list('filter'))) },
    });
    const rows = list.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((n) => new NetworkRow(n, !flags.bool('no-trunc')));
    const format = flags.bool('quiet') ? '{{.ID}}' : flags.string('format');
    ctx.out(renderList(rows, resolveListFormat(format, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}'), headers));
    return 0;
  },
};
