import type { CommandSpec } from '../../argv/command-spec.js';
import { filterFlag, formatFlag, parseFilters } from '../../argv/common-flags.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';

interface WireVolume {
  Name: string;
  Driver: string;
  Scope: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
}

/** The fields `docker volume ls --format` offers. */
class VolumeRow {
  constructor(private readonly v: WireVolume) {}
  get Name(): string {
    return this.v.Name;
  }
  get Driver(): string {
    return this.v.Driver;
  }
  get Scope(): string {
    return this.v.Scope;
  }
  get Mountpoint(): string {
    return this.v.Mountpoint;
  }
  get CreatedAt(): string {
    return this.v.CreatedAt;
  }
  get Labels(): string {
    return Object.entries(this.v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(',');
  }
  get Links(): string {
    return 'N/A';
  }
  get Size(): string {
    return 'N/A';
  }
  Label(name: string): string {
    return this.v.Labels?.[name] ?? '';
  }
}

const headers = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', CreatedAt: 'CREATED', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' };

export const volumeLsCommand: CommandSpec = {
  path: ['volume', 'ls'],
  aliases: [['volume', 'list']],
  usage: '[OPTIONS]',
  description: 'List volumes',
  args: { kind: 'none' },
  flags: [
    filterFlag,
    formatFlag(),
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display volume names' },
    { long: 'cluster', kind: 'bool', description: 'Display only cluster volumes, and use cluster volume list formatting', hidden: true },
  ],
  async run(ctx, flags) {
    const res = await ctx.client().transport.json<{ Volumes: WireVolume[] | null }>('GET', '/volumes', {
      query: { filters: JSON.stringify(parseFilters(flags.list('filter'))) },
    });
    const rows = (res.Volumes ?? []).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((v) => new VolumeRow(v));
    const format = flags.bool('quiet') ? '{{.Name}}' : flags.string('format');
    ctx.out(renderList(rows, resolveListFormat(format, 'table {{.Driver}}\t{{.Name}}'), headers));
    return 0;
  },
};
