import { chainIds } from '../../images/chain-id.js';
import { listContainerRows } from '../../store/container-queries.js';
import { countLayersWithDiffId, deleteLayer, getLayer, listImages, listLayers } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';

/**
 * The owner of layers no image needs any more: a layer (its `layers` row,
 * snapshot dir and content-store blob) lives while an image's rootfs chain,
 * a container's rootfs or an in-flight operation holds it, and is removed by
 * `removeOrphanLayers` otherwise.
 *
 * Lifecycle of a hold: an operation that creates layers before the image that
 * names them exists (a pull, storeImage) holds their chain ids and diff ids
 * with `holdLayers` and releases them when the image is stored or the
 * operation failed. A failed pull instead hands its hold to
 * `releaseAfterGrace`: its verified layers stay for FAILED_PULL_GRACE_MS so a
 * retry finds them ("Already exists"), then the hold goes and those layers are
 * swept. Holds live in memory only, so the sweep at daemon start (nothing is
 * in flight then) removes every unreferenced layer, snapshot dir and blob,
 * including what a crash in mid-pull left. `image prune` sweeps too (its
 * output is unchanged: Docker does not report these layers either).
 *
 * Docker's layer store refcounts layers and releases those of a failed pull
 * at once; the grace period is our deviation, so a retried pull does not
 * download again what it already verified.
 */
export const FAILED_PULL_GRACE_MS = 10 * 60_000;

const holdsByContext = new WeakMap<EngineContext, Map<string, number>>();

function holds(ctx: EngineContext): Map<string, number> {
  let map = holdsByContext.get(ctx);
  if (!map) {
    map = new Map();
    holdsByContext.set(ctx, map);
  }
  return map;
}

/** A reference on some chain ids / diff ids; `release` is idempotent. */
export interface LayerHold {
  release(): void;
}

/** Protects `ids` (chain ids and diff ids) from every sweep until released. */
export function holdLayers(ctx: EngineContext, ids: readonly string[]): LayerHold {
  const map = holds(ctx);
  const own = [...new Set(ids)];
  for (const id of own) map.set(id, (map.get(id) ?? 0) + 1);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      for (const id of own) {
        const n = (map.get(id) ?? 1) - 1;
        if (n <= 0) map.delete(id);
        else map.set(id, n);
      }
    },
  };
}

export function isLayerHeld(ctx: EngineContext, id: string): boolean {
  return (holds(ctx).get(id) ?? 0) > 0;
}

/** A layer a sweep may look at: its chain id, and its diff id when no row records it. */
export interface LayerCandidate {
  readonly chainId: string;
  readonly diffId?: string;
}

/**
 * After a failed pull: keeps `hold` for `graceMs`, then releases it and
 * removes those of `layers` nothing else holds or references. The timer does
 * not keep the daemon alive; a daemon that stops first sweeps at its next start.
 */
export function releaseAfterGrace(ctx: EngineContext, hold: LayerHold, layers: readonly LayerCandidate[], graceMs = FAILED_PULL_GRACE_MS): void {
  if (layers.length === 0) return hold.release();
  const timer = setTimeout(() => {
    hold.release();
    removeOrphanLayers(ctx, { only: layers }).catch((err: unknown) => {
      ctx.log.warn('removing layers of a failed pull failed', { error: (err as Error).message });
    });
  }, graceMs);
  timer.unref();
}

export interface SweepOptions {
  /** Look at these layers only (a failed pull's); default: every row and snapshot dir. */
  readonly only?: readonly LayerCandidate[];
  /**
   * Also delete blobs no layer row names. Only safe while nothing is in
   * flight (daemon start): builds, commits and imports ingest a blob before
   * the layer row that names it exists.
   */
  readonly unnamedBlobs?: boolean;
}

/** Removes unreferenced, unheld layers (children before parents); returns their chain ids. */
export async function removeOrphanLayers(ctx: EngineContext, options: SweepOptions = {}): Promise<string[]> {
  const dirs = options.only ? [] : await ctx.snapshots.listLayers();
  const blobs = options.unnamedBlobs ? await ctx.content.list() : [];
  // everything below is read after the awaits, so it is current when deciding
  const used = referencedChainIds(ctx);
  const rows = new Map(listLayers(ctx.db).map((r) => [r.chain_id, r]));
  const diffOf = new Map<string, string | undefined>();
  if (options.only) for (const c of options.only) diffOf.set(c.chainId, rows.get(c.chainId)?.diff_id ?? c.diffId);
  else for (const id of [...rows.keys(), ...dirs]) diffOf.set(id, rows.get(id)?.diff_id);

  const depth = (id: string): number => {
    let n = 0;
    for (let p = rows.get(id)?.parent; p; p = rows.get(p)?.parent) n++;
    return n;
  };
  const doomed = [...diffOf.keys()].filter((id) => !used.has(id) && !isLayerHeld(ctx, id)).sort((a, b) => depth(b) - depth(a));
  const removed: string[] = [];
  for (const chainId of doomed) {
    // an operation that started during an earlier removal holds what it needs (storeImage holds before it looks)
    if (isLayerHeld(ctx, chainId)) continue;
    // a candidate someone else already removed leaves its blob to them
    if (options.only && !rows.has(chainId) && !(await ctx.snapshots.hasLayer(chainId))) continue;
    if (await removeLayer(ctx, chainId, diffOf.get(chainId))) removed.push(chainId);
  }
  if (options.unnamedBlobs) {
    const named = new Set(listLayers(ctx.db).map((r) => r.diff_id));
    for (const digest of blobs) {
      if (!named.has(digest) && !isLayerHeld(ctx, digest)) await ctx.content.delete(digest);
    }
  }
  if (removed.length > 0) ctx.log.info('removed unreferenced layers', { count: removed.length });
  return removed;
}

/**
 * Removes one layer: its row (refused, returning false, while a child row
 * still names it as parent), its snapshot dir, then its blob once no layer
 * row names the diff id and no operation holds it. The row goes first: a
 * crash after it leaves a dir and a blob the start sweep finds.
 */
export async function removeLayer(ctx: EngineContext, chainId: string, diffId?: string): Promise<boolean> {
  const row = getLayer(ctx.db, chainId);
  try {
    deleteLayer(ctx.db, chainId);
  } catch {
    return false;
  }
  await ctx.snapshots.removeLayer(chainId);
  const diff = row?.diff_id ?? diffId;
  if (diff !== undefined && countLayersWithDiffId(ctx.db, diff) === 0 && !isLayerHeld(ctx, diff)) await ctx.content.delete(diff);
  return true;
}

/** Chain ids some image or container needs, with their parents. */
function referencedChainIds(ctx: EngineContext): Set<string> {
  const used = new Set<string>();
  const addChain = (diffIds: unknown): void => {
    if (Array.isArray(diffIds) && diffIds.every((d) => typeof d === 'string')) for (const id of chainIds(diffIds)) used.add(id);
  };
  const tops: string[] = [];
  for (const row of listImages(ctx.db)) {
    if (row.top_layer) tops.push(row.top_layer);
    try {
      addChain((JSON.parse(row.config_json) as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids);
    } catch {
      // an unreadable config still keeps its top layer's chain (below)
    }
  }
  for (const row of listContainerRows(ctx.db)) {
    try {
      const ids = (JSON.parse(row.runtime_json) as { chainIds?: unknown }).chainIds;
      if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') used.add(id);
    } catch {
      // a container without a readable runtime record still has its image (above) unless it was removed
    }
  }
  const walked = new Set<string>();
  for (const top of [...tops, ...used]) {
    for (let id: string | null | undefined = top; id && !walked.has(id); id = getLayer(ctx.db, id)?.parent) {
      walked.add(id);
      used.add(id);
    }
  }
  return used;
}

/** Chain ids and diff ids of an image's layers, for holds and candidates. */
export function layerCandidates(diffIds: readonly string[]): LayerCandidate[] {
  const chain = chainIds(diffIds);
  return chain.map((chainId, i) => ({ chainId, diffId: diffIds[i] as string }));
}
