import { conflict } from '../../errors/engine-error.js';
import { chainIds } from '../../images/chain-id.js';
import { type ImageReference, familiarString, formatReference, parseReference, repositoryName, withDefaultTag } from '../../images/reference.js';
import { containersUsingImage, deleteDigestRef, deleteImage, deleteTag, digestsOfImage, getImage, listImages, tagsOfImage } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { removeLayer } from './orphan-layers.js';
import { isIdPrefixOf, resolveImage, type ImageRecord } from './resolve.js';

export type ImageDeleteItem = { Untagged: string } | { Deleted: string };

export interface RemoveOptions {
  readonly force?: boolean;
  /** Keep the image's layers even when no image uses them any more. */
  readonly noprune?: boolean;
}

interface DeleteConflict {
  readonly hard: boolean;
  readonly used: boolean;
  /** Other images have it as parent (so it is not dangling once untagged). */
  readonly dependent?: boolean;
  readonly message: string;
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * DELETE /images/{name}, following Docker's image_delete.go: a reference
 * only untags unless it was the last one; an id removes the image when no
 * container or other repository needs it (soft conflicts yield to force,
 * a running container never does).
 */
export async function removeImage(ctx: EngineContext, name: string, options: RemoveOptions = {}): Promise<ImageDeleteItem[]> {
  const force = options.force ?? false;
  const image = resolveImage(ctx, name);
  const records: ImageDeleteItem[] = [];
  let refs = referencesOf(ctx, image.id);
  let removedRepositoryRef = false;

  if (!isIdPrefixOf(image.id, name)) {
    if (!force && isSingleReference(refs)) {
      const user = containersUsingImage(ctx.db, image.id)[0];
      if (user) {
        throw conflict(
          `conflict: unable to remove repository reference "${name}" (must force) - container ${short(user.id)} is using its referenced image ${short(image.id)}`,
        );
      }
    }
    const ref = withDefaultTag(parseReference(name));
    untag(ctx, image.id, ref, records);
    if (ref.digest === undefined) {
      // Docker drops digest references of a repository whose last tag went away.
      const repo = repositoryName(ref);
      const remaining = referencesOf(ctx, image.id).filter((r) => repositoryName(r) === repo);
      if (remaining.every((r) => r.digest !== undefined)) for (const r of remaining) untag(ctx, image.id, r, records);
    }
    refs = referencesOf(ctx, image.id);
    if (refs.length > 0) return records;
    removedRepositoryRef = true;
  } else if (isSingleReference(refs)) {
    const c = findConflict(ctx, image, { hard: true, activeReference: false, stopped: !force });
    if (c) throw conflictError(image, c);
    for (const r of refs) untag(ctx, image.id, r, records);
  }

  const c = findConflict(ctx, image, { hard: true, activeReference: !force, stopped: !force });
  if (c) {
    // Having just removed the last reference, a container still using the image only keeps it (dangling).
    // So does a child image: the untagged parent stays as an intermediate image (Docker's imageIsDangling).
    if (removedRepositoryRef && (c.used || c.dependent === true)) return records;
    throw conflictError(image, c);
  }
  for (const r of referencesOf(ctx, image.id)) untag(ctx, image.id, r, records);
  const inUse = containersUsingImage(ctx.db, image.id).length > 0;
  deleteImage(ctx.db, image.id);
  ctx.events.publish('image', 'delete', image.id, { name: image.id });
  records.push({ Deleted: image.id });
  if (!options.noprune && !inUse) {
    for (const chainId of await pruneLayers(ctx, image)) records.push({ Deleted: chainId });
  }
  if (!options.noprune && image.config.parent) await removeDanglingParent(ctx, image.config.parent, records);
  return records;
}

/** Docker's prune of the parent chain: a parent left untagged, childless and unused goes too. */
async function removeDanglingParent(ctx: EngineContext, parentId: string, records: ImageDeleteItem[]): Promise<void> {
  if (!getImage(ctx.db, parentId)) return;
  if (referencesOf(ctx, parentId).length > 0 || hasChildImages(ctx, parentId) || containersUsingImage(ctx.db, parentId).length > 0) return;
  records.push(...(await removeImage(ctx, parentId)));
}

function referencesOf(ctx: EngineContext, imageId: string): ImageReference[] {
  return [...tagsOfImage(ctx.db, imageId), ...digestsOfImage(ctx.db, imageId)].map((r) => parseReference(r));
}

function untag(ctx: EngineContext, imageId: string, ref: ImageReference, records: ImageDeleteItem[]): void {
  const key = formatReference(ref);
  const removed = ref.digest !== undefined ? deleteDigestRef(ctx.db, key) : deleteTag(ctx.db, key);
  if (!removed) return;
  records.push({ Untagged: familiarString(ref) });
  ctx.events.publish('image', 'untag', imageId, { name: familiarString(ref) });
}

/** Docker's isSingleReference: at most one tag, and all references in one repository. */
function isSingleReference(refs: readonly ImageReference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  const repos = new Set<string>();
  let single: ImageReference | undefined;
  for (const r of refs) {
    if (r.digest !== undefined) repos.add(repositoryName(r));
    else if (single === undefined) {
      repos.add(repositoryName(r));
      single = r;
    } else return false;
  }
  single ??= refs[0] as ImageReference;
  return repos.size === 1 && repos.has(repositoryName(single));
}

function findConflict(
  ctx: EngineContext,
  image: ImageRecord,
  mask: { hard: boolean; activeReference: boolean; stopped: boolean },
): DeleteConflict | undefined {
  if (mask.hard && hasChildImages(ctx, image.id)) return { hard: true, used: false, dependent: true, message: 'image has dependent child images' };
  const users = containersUsingImage(ctx.db, image.id);
  const running = users.find((u) => u.running);
  if (mask.hard && running) return { hard: true, used: true, message: `image is being used by running container ${short(running.id)}` };
  if (mask.activeReference && referencesOf(ctx, image.id).length > 0) {
    return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
  }
  const stopped = users.find((u) => !u.running);
  if (mask.stopped && stopped) return { hard: false, used: true, message: `image is being used by stopped container ${short(stopped.id)}` };
  return undefined;
}

/** Images whose config names this one as parent (the classic builder's step chain, commit). */
export function hasChildImages(ctx: EngineContext, imageId: string): boolean {
  return listImages(ctx.db).some((row) => {
    try {
      return (JSON.parse(row.config_json) as { parent?: string }).parent === imageId;
    } catch {
      return false;
    }
  });
}

function conflictError(image: ImageRecord, c: DeleteConflict): Error {
  return conflict(`conflict: unable to delete ${short(image.id)} (${c.hard ? 'cannot be forced' : 'must be forced'}) - ${c.message}`);
}

/** Removes the deleted image's layers no remaining image uses, top-most first; returns their chain ids. */
async function pruneLayers(ctx: EngineContext, image: ImageRecord): Promise<string[]> {
  const used = new Set<string>();
  for (const row of listImages(ctx.db)) {
    try {
      const diffIds = (JSON.parse(row.config_json) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
      for (const id of chainIds(diffIds)) used.add(id);
    } catch {
      // an unreadable config keeps nothing alive
    }
  }
  const removed: string[] = [];
  for (const chainId of chainIds(image.config.rootfs.diff_ids).reverse()) {
    if (used.has(chainId)) break; // lower layers of a used layer are used too
    if (!(await removeLayer(ctx, chainId))) break; // a kept (noprune) child layer still points at it
    removed.push(chainId);
  }
  return removed;
}
