import { notFound } from '../../errors/engine-error.js';
import { chainIds } from '../../images/chain-id.js';
import { type ImageConfig, parseImageConfig } from '../../images/image-config.js';
import { formatReference, looksLikeIdPrefix, parseReference, withDefaultTag } from '../../images/reference.js';
import { findImageIdsByPrefix, getDigestRef, getImage, getTag, type ImageRow } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';

/** An image as the engine works with it. */
export interface ImageRecord {
  /** `sha256:<hex>` of the config blob. */
  readonly id: string;
  readonly config: ImageConfig;
  /** The config blob verbatim. */
  readonly configJson: string;
  readonly topLayer: string | null;
  /** Bytes of all its layers unpacked. */
  readonly size: number;
  /** When it arrived here (ms since epoch). */
  readonly createdAt: number;
  readonly lastTagTime: string | null;
}

export function toImageRecord(row: ImageRow): ImageRecord {
  return {
    id: row.id,
    config: parseImageConfig(row.config_json),
    configJson: row.config_json,
    topLayer: row.top_layer,
    size: row.size,
    createdAt: row.created_at,
    lastTagTime: row.last_tag_time,
  };
}

/** Like resolveImage, but undefined when nothing matches. */
export function findImage(ctx: EngineContext, nameOrId: string): ImageRecord | undefined {
  const row = findImageRow(ctx, nameOrId);
  return row ? toImageRecord(row) : undefined;
}

function findImageRow(ctx: EngineContext, nameOrId: string): ImageRow | undefined {
  const db = ctx.db;
  if (/^sha256:[a-f0-9]{64}$/.test(nameOrId)) {
    const row = getImage(db, nameOrId);
    if (row) return row;
  }
  if (/^[a-f0-9]{64}$/.test(nameOrId)) {
    const row = getImage(db, `sha256:${nameOrId}`);
    if (row) return row;
  }
  let ref;
  try {
    ref = withDefaultTag(parseReference(nameOrId));
  } catch {
    ref = undefined;
  }
  if (ref) {
    const key = formatReference(ref);
    const id = ref.digest !== undefined ? getDigestRef(db, key) ?? getDigestRef(db, formatReference({ ...ref, tag: undefined })) : getTag(db, key);
    if (id !== undefined) {
      const row = getImage(db, id);
      if (row) return row;
    }
  }
  // Docker accepts any unambiguous id prefix (also `sha256:`-prefixed).
  if (looksLikeIdPrefix(nameOrId)) {
    const ids = findImageIdsByPrefix(db, nameOrId.replace(/^sha256:/, ''));
    if (ids.length === 1 && ids[0] !== undefined) return getImage(db, ids[0]);
  }
  return undefined;
}

/** Finds an image by reference, full or short id; not_found `No such image: <name>` otherwise. */
export function resolveImage(ctx: EngineContext, nameOrId: string): ImageRecord {
  const image = findImage(ctx, nameOrId);
  if (!image) throw notFound(`No such image: ${displayName(nameOrId)}`);
  return image;
}

/** The image's layer chain ids, bottom-most first. */
export function imageChainIds(_ctx: EngineContext, image: ImageRecord): string[] {
  return chainIds(image.config.rootfs.diff_ids);
}

/** True when the string is a reference and not an id (prefix) of `imageId`: Docker's isImageIDPrefix inverted. */
export function isIdPrefixOf(imageId: string, input: string): boolean {
  const hex = imageId.replace(/^sha256:/, '');
  const given = input.replace(/^sha256:/, '');
  return /^[a-f0-9]+$/.test(given) && hex.startsWith(given);
}


/** Docker 28 names a missing image with its default tag (`nope` → `nope:latest`), but leaves ids alone. */
function displayName(nameOrId: string): string {
  if (/^(sha256:)?[a-f0-9]+$/.test(nameOrId)) return nameOrId;
  const lastSegment = nameOrId.slice(nameOrId.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || nameOrId.includes('@') ? nameOrId : `${nameOrId}:latest`;
}
