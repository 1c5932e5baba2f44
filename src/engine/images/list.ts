import { invalidArgument } from '../../errors/engine-error.js';
import { familiarName, familiarString, parseReference } from '../../images/reference.js';
import { digestsOfImage, listImages, listTags } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { resolveImage, toImageRecord, type ImageRecord } from './resolve.js';

/** One entry of GET /images/json (Docker's ImageSummary). */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

export interface ListOptions {
  /** Docker's `filters`: dangling, label, reference, before, since. */
  readonly filters?: ReadonlyMap<string, readonly string[]>;
  /** Show intermediate images too (untagged parents of other images, as the classic builder leaves them). */
  readonly all?: boolean;
}

const FILTERS = new Set(['dangling', 'label', 'reference', 'before', 'since']);

/** Unix seconds of an image's creation (config `created`, else arrival). */
export function imageCreatedSeconds(image: ImageRecord): number {
  const t = image.config.created ? Date.parse(image.config.created) : NaN;
  return Math.floor((Number.isFinite(t) ? t : image.createdAt) / 1000);
}

export function listImageSummaries(ctx: EngineContext, options: ListOptions = {}): ImageSummary[] {
  const filters = options.filters ?? new Map<string, readonly string[]>();
  for (const key of filters.keys()) if (!FILTERS.has(key)) throw invalidArgument(`Invalid filter '${key}'`);
  const tagsById = new Map<string, string[]>();
  for (const t of listTags(ctx.db)) {
    const list = tagsById.get(t.image_id) ?? [];
    list.push(t.reference);
    tagsById.set(t.image_id, list);
  }
  const dangling = filters.get('dangling');
  let wantDangling: boolean | undefined;
  if (dangling && dangling.length > 0) {
    const v = dangling[0];
    if (v === 'true' || v === '1') wantDangling = true;
    else if (v === 'false' || v === '0') wantDangling = false;
    else throw invalidArgument(`Invalid filter 'dangling=[${v ?? ''}]'`);
  }
  const before = filters.get('before')?.map((n) => imageCreatedSeconds(resolveImage(ctx, n)));
  const since = filters.get('since')?.map((n) => imageCreatedSeconds(resolveImage(ctx, n)));
  const labels = filters.get('label') ?? [];
  const refPatterns = filters.get('reference') ?? [];

  const images = listImages(ctx.db).map((row) => toImageRecord(row));
  const parents = new Set(images.map((i) => i.config.parent ?? ''));
  const out: ImageSummary[] = [];
  for (const image of images) {
    const refs = (tagsById.get(image.id) ?? []).map((r) => parseReference(r)).sort((a, b) => familiarString(a).localeCompare(familiarString(b)));
    const created = imageCreatedSeconds(image);
    const digests = digestsOfImage(ctx.db, image.id);
    // Docker's image list: an untagged image with children is an intermediate one, shown only with `all`;
    // dangling=true matches only untagged heads (images without children).
    const untagged = refs.length === 0 && digests.length === 0;
    if (untagged && parents.has(image.id) && (!options.all || wantDangling === true)) continue;
    if (wantDangling !== undefined && (refs.length === 0) !== wantDangling) continue;
    if (before && before.some((b) => created >= b)) continue;
    if (since && since.some((s) => created <= s)) continue;
    const imageLabels = image.config.config?.Labels ?? {};
    if (!labels.every((l) => labelMatches(imageLabels, l))) continue;
    let repoTags = refs.map((r) => familiarString(r));
    if (refPatterns.length > 0) {
      // Docker keeps only the tags that match the reference filter.
      repoTags = refs.filter((r) => refPatterns.some((p) => globMatch(p, familiarString(r)) || globMatch(p, familiarName(r)))).map((r) => familiarString(r));
      if (repoTags.length === 0) continue;
    }
    out.push({
      Id: image.id,
      ParentId: image.config.parent ?? '',
      RepoTags: repoTags,
      RepoDigests: digests.map((d) => familiarString(parseReference(d))),
      Created: created,
      Size: image.size,
      SharedSize: -1,
      Labels: imageLabels,
      Containers: -1,
    });
  }
  return out.sort((a, b) => b.Created - a.Created);
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf('=');
  if (i === -1) return Object.hasOwn(labels, filter);
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}

/** Go's path.Match for the subset Docker's reference filter uses (`*`, `?`, `[...]`); `*` stops at `/`. */
export function globMatch(pattern: string, text: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/[\\\]]/g, '\\$&');
      else cls = cls.replace(/[\\\]^]/g, '\\$&');
      re += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$').test(text);
}
