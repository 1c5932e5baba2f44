import type { ImageSummary } from '../../client/wire-types.js';
import { goJson } from './go-template.js';
import { goTimeString } from './go-time.js';
import { timeAgo } from './human-duration.js';
import { humanSize } from './human-size.js';
import { familiarName, parseReference } from './image-reference.js';
import { truncateId } from './truncate.js';

export const IMAGES_DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const IMAGES_DIGEST_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

export const IMAGES_HEADERS: Record<string, unknown> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

const FIELDS = ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize'] as const;

/** One `docker images` row (docker's imageContext). */
export class ImageRow {
  constructor(
    private readonly i: ImageSummary,
    readonly Repository: string,
    readonly Tag: string,
    readonly Digest: string,
    private readonly trunc: boolean,
    private readonly now: Date = new Date(),
  ) {}

  get ID(): string {
    return this.trunc ? truncateId(this.i.Id) : this.i.Id;
  }

  get CreatedSince(): string {
    return timeAgo(new Date(this.i.Created * 1000), this.now);
  }

  get CreatedAt(): string {
    return goTimeString(new Date(this.i.Created * 1000));
  }

  get Size(): string {
    return humanSize(this.i.Size);
  }

  get Containers(): string {
    return this.i.Containers === -1 || this.i.Containers === undefined ? 'N/A' : String(this.i.Containers);
  }

  get VirtualSize(): string {
    return humanSize(this.i.VirtualSize ?? this.i.Size, 4);
  }

  get SharedSize(): string {
    return this.i.SharedSize === -1 || this.i.SharedSize === undefined ? 'N/A' : humanSize(this.i.SharedSize);
  }

  get UniqueSize(): string {
    return this.i.SharedSize === -1 || this.i.SharedSize === undefined ? 'N/A' : humanSize(this.i.Size - this.i.SharedSize);
  }

  goJson(): string {
    return goJson(this.toJSON(), true);
  }

  toJSON(): Record<string, string> {
    const obj: Record<string, string> = {};
    for (const f of FIELDS) obj[f] = this[f];
    return obj;
  }
}

function isDangling(i: ImageSummary): boolean {
  const tags = i.RepoTags ?? [];
  const digests = i.RepoDigests ?? [];
  const noTags = tags.length === 0 || (tags.length === 1 && tags[0] === '<none>:<none>');
  const noDigests = digests.length === 0 || (digests.length === 1 && digests[0] === '<none>@<none>');
  return noTags && noDigests;
}

/** Expands images into rows as docker does: one per repository:tag (× digest with --digests). */
export function imageRows(images: readonly ImageSummary[], options: { trunc: boolean; digests: boolean; now?: Date }): ImageRow[] {
  const now = options.now ?? new Date();
  const rows: ImageRow[] = [];
  for (const img of images) {
    if (isDangling(img)) {
      rows.push(new ImageRow(img, '<none>', '<none>', '<none>', options.trunc, now));
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const ref of img.RepoTags ?? []) {
      const p = parseReference(ref);
      if (!p.tag || ref === '<none>:<none>') continue;
      const name = familiarName(p.name);
      repoTags.set(name, [...(repoTags.get(name) ?? []), p.tag]);
    }
    for (const ref of img.RepoDigests ?? []) {
      const p = parseReference(ref);
      if (!p.digest || ref === '<none>@<none>') continue;
      const name = familiarName(p.name);
      repoDigests.set(name, [...(repoDigests.get(name) ?? []), p.digest]);
    }
    for (const repo of [...repoTags.keys()].sort()) {
      const digests = options.digests ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of repoTags.get(repo) ?? []) {
        if (digests.length === 0) rows.push(new ImageRow(img, repo, tag, '<none>', options.trunc, now));
        for (const d of digests) rows.push(new ImageRow(img, repo, tag, d, options.trunc, now));
      }
    }
    for (const repo of [...repoDigests.keys()].sort()) {
      if (options.digests) for (const d of repoDigests.get(repo) ?? []) rows.push(new ImageRow(img, repo, '<none>', d, options.trunc, now));
      else rows.push(new ImageRow(img, repo, '<none>', '', options.trunc, now));
    }
  }
  return rows;
}
