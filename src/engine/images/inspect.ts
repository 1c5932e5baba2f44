import { dirname, join } from 'node:path';
import { familiarString, parseReference } from '../../images/reference.js';
import type { ImageRunConfig } from '../../images/image-config.js';
import { digestsOfImage, tagsOfImage } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { imageChainIds, resolveImage } from './resolve.js';

/** GET /images/{name}/json, Docker v28's ImageInspect. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: ImageRunConfig | null;
  Architecture: string;
  Variant?: string;
  Os: string;
  OsVersion?: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function inspectImage(ctx: EngineContext, nameOrId: string): ImageInspect {
  const image = resolveImage(ctx, nameOrId);
  const c = image.config;
  const chain = imageChainIds(ctx, image);
  const dirs = chain.map((id) => ctx.snapshots.layerDir(id)).reverse();
  const top = dirs[0];
  let data: Record<string, string> | null = null;
  if (top !== undefined) {
    const base = dirname(top);
    data = { MergedDir: join(base, 'merged'), UpperDir: top, WorkDir: join(base, 'work') };
    if (dirs.length > 1) data = { LowerDir: dirs.slice(1).join(':'), ...data };
  }
  return {
    Id: image.id,
    RepoTags: tagsOfImage(ctx.db, image.id).map((r) => familiarString(parseReference(r))),
    RepoDigests: digestsOfImage(ctx.db, image.id).map((r) => familiarString(parseReference(r))),
    Parent: c.parent ?? '',
    Comment: c.comment ?? '',
    Created: c.created ?? new Date(image.createdAt).toISOString(),
    DockerVersion: c.docker_version ?? '',
    Author: c.author ?? '',
    Config: c.config ?? null,
    Architecture: c.architecture,
    ...(c.variant !== undefined ? { Variant: c.variant } : {}),
    Os: c.os,
    ...(c['os.version'] !== undefined ? { OsVersion: c['os.version'] } : {}),
    Size: image.size,
    GraphDriver: { Name: 'overlay2', Data: data },
    RootFS: { Type: c.rootfs.type || 'layers', Layers: [...c.rootfs.diff_ids] },
    Metadata: { LastTagTime: image.lastTagTime ?? ZERO_TIME },
  };
}
