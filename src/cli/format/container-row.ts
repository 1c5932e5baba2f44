import type { ContainerSummary } from '../../client/wire-types.js';
import { goJson } from './go-template.js';
import { goTimeString } from './go-time.js';
import { timeAgo } from './human-duration.js';
import { humanSize } from './human-size.js';
import { familiarName, parseReference } from './image-reference.js';
import { displayablePorts } from './ports.js';
import { ellipsis, goQuote, truncateId } from './truncate.js';

export const PS_DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
export const PS_SIZE_TABLE = `${PS_DEFAULT_TABLE}\t{{.Size}}`;

export const PS_HEADERS: Record<string, unknown> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  LocalVolumes: 'LOCAL VOLUMES',
  Mounts: 'MOUNTS',
  Networks: 'NETWORKS',
  Label: () => 'LABEL',
};

const FIELDS = ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status'] as const;

/** One `docker ps` row: the fields --format templates see (docker's ContainerContext). */
export class ContainerRow {
  constructor(
    private readonly c: ContainerSummary,
    private readonly trunc: boolean,
    private readonly now: Date = new Date(),
  ) {}

  get ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }

  get Names(): string {
    let names = (this.c.Names ?? []).map((n) => n.replace(/^\//, ''));
    if (this.trunc) {
      // Links show up as extra names with slashes; the plain one is the container's own.
      const own = names.find((n) => !n.includes('/'));
      if (own !== undefined) names = [own];
    }
    return names.join(',');
  }

  get Image(): string {
    const image = this.c.Image;
    if (!image) return '<no image>';
    if (!this.trunc) return image;
    if (this.c.ImageID && truncateId(this.c.ImageID) === truncateId(image)) return truncateId(image);
    if (/^(sha256:)?[0-9a-f]{64}$/.test(image)) return truncateId(image);
    const ref = parseReference(image);
    return ref.tag ? `${familiarName(ref.name)}:${ref.tag}` : familiarName(ref.name);
  }

  get Command(): string {
    return goQuote(this.trunc ? ellipsis(this.c.Command, 20) : this.c.Command);
  }

  get CreatedAt(): string {
    return goTimeString(new Date(this.c.Created * 1000));
  }

  get RunningFor(): string {
    return timeAgo(new Date(this.c.Created * 1000), this.now);
  }

  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }

  get State(): string {
    return this.c.State;
  }

  get Status(): string {
    return this.c.Status;
  }

  get Size(): string {
    const rw = humanSize(this.c.SizeRw ?? 0);
    const root = this.c.SizeRootFs ?? 0;
    return root > 0 ? `${rw} (virtual ${humanSize(root)})` : rw;
  }

  get Labels(): string {
    const labels = this.c.Labels ?? {};
    return Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k] ?? ''}`)
      .join(',');
  }

  Label(name: unknown): string {
    return (this.c.Labels ?? {})[String(name)] ?? '';
  }

  get Mounts(): string {
    return (this.c.Mounts ?? [])
      .map((m) => {
        const name = m.Name ? m.Name : (m.Source ?? '');
        return this.trunc ? ellipsis(name, 15) : name;
      })
      .join(',');
  }

  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }

  get Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(',');
  }

  /** `{{json .}}`: every field as a string, keys sorted, HTML-escaped like Go's json.Marshal. */
  goJson(): string {
    // docker's ContainerContext also has Platform (the image manifest's platform, null when unknown); keys sorted like Go maps
    const obj: Record<string, unknown> = { ...this.toJSON(), Platform: this.Platform };
    const sorted = Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
    return goJson(sorted, true);
  }

  get Platform(): unknown {
    return (this.c as { ImageManifestDescriptor?: { platform?: unknown } }).ImageManifestDescriptor?.platform ?? null;
  }

  toJSON(): Record<string, string> {
    const obj: Record<string, string> = {};
    for (const f of FIELDS) obj[f] = this[f];
    return obj;
  }
}
