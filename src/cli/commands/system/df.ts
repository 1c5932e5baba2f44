import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { humanSize } from '../../format/human-size.js';
import { timeAgo } from '../../format/human-duration.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';

interface DfWire {
  LayersSize?: number;
  Images?: { Id: string; RepoTags: string[] | null; Created: number; Size: number; SharedSize: number; Containers: number }[] | null;
  Containers?: { Id: string; Names: string[]; Image: string; Command: string; Created: number; State: string; Status: string; SizeRw?: number; Mounts?: unknown[] }[] | null;
  Volumes?: { Name: string; UsageData?: { Size: number; RefCount: number } }[] | null;
  BuildCache?: { ID: string; Type: string; Size: number; Shared: boolean; InUse: boolean; UsageCount: number; CreatedAt?: string; LastUsedAt?: string | null }[] | null;
}

interface Row {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/** docker's "4.26MB (90%)": the percentage is integer division of the reclaimable share. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSize(bytes)} (${Math.floor((bytes * 100) / total)}%)` : humanSize(bytes);
}

export function dfRows(du: DfWire): Row[] {
  const images = du.Images ?? [];
  const imagesTotal = du.LayersSize ?? 0;
  const used = images.filter((i) => i.Containers > 0).reduce((n, i) => n + Math.max(0, i.Size - i.SharedSize), 0);
  const containers = du.Containers ?? [];
  const cTotal = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const cReclaim = containers.filter((c) => c.State !== 'running').reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const volumes = du.Volumes ?? [];
  const vTotal = volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const vReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(imagesTotal), Reclaimable: reclaimable(imagesTotal - used, imagesTotal) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => c.State === 'running').length), Size: humanSize(cTotal), Reclaimable: reclaimable(cReclaim, cTotal) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vTotal), Reclaimable: reclaimable(vReclaim, vTotal) },
    buildCacheRow(du.BuildCache ?? []),
  ];
}

/** The docker CLI's build cache figures: shared records count in neither size nor reclaimable; no percentage. */
function buildCacheRow(cache: NonNullable<DfWire['BuildCache']>): Row {
  const size = cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  const inUse = cache.filter((b) => b.InUse && !b.Shared).reduce((n, b) => n + b.Size, 0);
  return { Type: 'Build Cache', TotalCount: String(cache.length), Active: String(cache.filter((b) => b.InUse).length), Size: humanSize(size), Reclaimable: humanSize(size - inUse) };
}

const headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export const systemDfCommand: CommandSpec = {
  path: ['system', 'df'],
  usage: '[OPTIONS]',
  description: 'Show docker disk usage',
  args: { kind: 'none' },
  flags: [formatFlag(), { long: 'verbose', short: 'v', kind: 'bool', description: 'Show detailed information on space usage' }],
  async run(ctx, flags) {
    const du = await ctx.client().transport.json<DfWire>('GET', '/system/df');
    if (!flags.bool('verbose')) {
      ctx.out(renderList(dfRows(du), resolveListFormat(flags.string('format'), 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}'), headers));
      return 0;
    }
    const since = (unixSeconds: number): string => timeAgo(new Date(unixSeconds * 1000));
    const images = (du.Images ?? []).map((i) => {
      const [repo, tag] = (i.RepoTags?.[0] ?? '<none>:<none>').split(/:(?=[^:/]*$)/);
      return { Repository: repo ?? '<none>', Tag: tag ?? '<none>', ID: i.Id.replace(/^sha256:/, '').slice(0, 12), CreatedSince: since(i.Created), Size: humanSize(i.Size),
        // docker's diskUsageImagesContext: SIZE with 3 significant digits, the shared/unique split with 4
        SharedSize: humanSize(i.SharedSize, 4), UniqueSize: humanSize(i.Size - i.SharedSize, 4), Containers: String(i.Containers) };
    });
    ctx.out('Images space usage:\n\n');
    ctx.out(renderList(images, resolveListFormat('table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', ''),
      { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' }));
    const containers = (du.Containers ?? []).map((c) => ({
      ID: c.Id.slice(0, 12), Image: c.Image, Command: `"${c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command}"`, LocalVolumes: String((c.Mounts ?? []).length), Size: humanSize(c.SizeRw ?? 0), RunningFor: since(c.Created), Status: c.Status, Names: (c.Names[0] ?? '').replace(/^\//, ''),
    }));
    ctx.out('\nContainers space usage:\n\n');
    ctx.out(renderList(containers, resolveListFormat('table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', ''),
      { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES' }));
    const volumes = (du.Volumes ?? []).map((v) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: humanSize(Math.max(0, v.UsageData?.Size ?? 0)) }));
    ctx.out('\nLocal Volumes space usage:\n\n');
    ctx.out(renderList(volumes, resolveListFormat('table {{.Name}}\t{{.Links}}\t{{.Size}}', ''), { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' }));
    const cache = du.BuildCache ?? [];
    ctx.out(`\nBuild cache usage: ${buildCacheRow(cache).Size}\n\n`);
    const ago = (t: string | null | undefined): string => (t ? timeAgo(new Date(t)) : '');
    // docker's buildCacheContext: the id cut to 12, a '*' marks one in use
    ctx.out(renderList(cache.map((b) => ({ ID: `${b.ID.slice(0, 12)}${b.InUse ? '*' : ''}`, Type: b.Type, Size: humanSize(b.Size), Created: ago(b.CreatedAt), LastUsed: ago(b.LastUsedAt), Usage: String(b.UsageCount), Shared: String(b.Shared) })),
      resolveListFormat('table {{.ID}}\t{{.Type}}\t{{.Size}}\t{{.Created}}\t{{.LastUsed}}\t{{.Usage}}\t{{.Shared}}', ''),
      { ID: 'CACHE ID', Type: 'CACHE TYPE', Size: 'SIZE', Created: 'CREATED', LastUsed: 'LAST USED', Usage: 'USAGE', Shared: 'SHARED' }));
    return 0;
  },
};
