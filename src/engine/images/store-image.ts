import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import { invalidArgument, isEngineError } from '../../errors/engine-error.js';
import { sha256Digest } from '../../lib/digest.js';
import { chainIds } from '../../images/chain-id.js';
import { decompressStream } from '../../images/decompress.js';
import { parseImageConfig } from '../../images/image-config.js';
import { applyLayerFile } from '../../images/layer-apply-file.js';
import { countLayersWithDiffId, deleteLayer, getImage, getLayer, insertImage, insertLayer } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';
import { holdLayers } from './orphan-layers.js';

export interface LayerSource {
  /** The layer tar, plain or compressed. */
  open(): Readable;
}

/**
 * Stores an image from its config blob and layer tars (bottom-most first):
 * each layer's uncompressed tar is kept in the content store under its diff
 * id (checked against the config) and unpacked once per chain id. On failure,
 * what this call created is removed again. Returns the image id.
 */
export async function storeImage(ctx: EngineContext, configBytes: Buffer, layers: readonly LayerSource[]): Promise<{ id: string; created: boolean }> {
  const config = parseImageConfig(configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layers.length) {
    throw invalidArgument(`invalid image: config lists ${diffIds.length} layers, the archive has ${layers.length}`);
  }
  if (!Buffer.from(configBytes.toString('utf8'), 'utf8').equals(configBytes)) throw invalidArgument('invalid image config: not UTF-8');
  const id = sha256Digest(configBytes);
  const chain = chainIds(diffIds);
  const createdLayers: string[] = [];
  const createdBlobs: string[] = [];
  let total = 0;
  // rows exist before the image that names them: no sweep may take them meanwhile
  const hold = holdLayers(ctx, [...chain, ...diffIds]);
  const sizes: number[] = [];
  // layer directories are independent (overlay stacks them at mount time), so they unpack side by side
  const prepare = async (i: number): Promise<void> => {
    const diffId = diffIds[i] as string;
    const chainId = chain[i] as string;
    const source = layers[i] as LayerSource;
    if ((await ctx.content.info(diffId)) === undefined) {
      const { stream } = await decompressStream(source.open());
      try {
        await ctx.content.ingest(stream, { digest: diffId });
      } catch (err) {
        if (isEngineError(err, 'invalid_argument')) {
          throw invalidArgument(`invalid image: layer ${i + 1} does not match diff id ${diffId} of the image config (${err.message})`);
        }
        throw err;
      }
      createdBlobs.push(diffId);
    }
    const row = getLayer(ctx.db, chainId);
    let size = row?.size;
    if (!(await ctx.snapshots.hasLayer(chainId))) {
      const committed = await ctx.snapshots.commitLayer(chainId, async (dir) => {
        const applied = await applyLayerFile(ctx.content.pathOf(diffId), dir, ctx.settings.userns ? { idMap: ctx.settings.userns.idMap } : {});
        if (applied.diffId !== diffId) throw invalidArgument(`layer blob ${diffId} is corrupt (content digest ${applied.diffId})`);
      });
      size = committed.size;
      if (!row) createdLayers.push(chainId);
    }
    sizes[i] = size ?? 0;
  };
  try {
    await inParallel(diffIds.length, Math.min(4, availableParallelism()), prepare);
    for (let i = 0; i < diffIds.length; i++) {
      const chainId = chain[i] as string;
      // rows go in layer order: a row names its parent's
      if (!getLayer(ctx.db, chainId)) {
        insertLayer(ctx.db, { chain_id: chainId, diff_id: diffIds[i] as string, parent: chain[i - 1] ?? null, size: sizes[i] ?? 0, created_at: Date.now() });
        if (!createdLayers.includes(chainId)) createdLayers.push(chainId);
      }
      total += sizes[i] ?? 0;
    }
    if (getImage(ctx.db, id)) return { id, created: false };
    const created = insertImage(ctx.db, {
      id,
      config_json: configBytes.toString('utf8'),
      top_layer: chain[chain.length - 1] ?? null,
      size: total,
      created_at: Date.now(),
    });
    return { id, created };
  } catch (err) {
    for (const chainId of [...createdLayers].reverse()) {
      deleteLayer(ctx.db, chainId);
      await ctx.snapshots.removeLayer(chainId);
    }
    for (const diffId of createdBlobs) {
      if (countLayersWithDiffId(ctx.db, diffId) === 0) await ctx.content.delete(diffId);
    }
    throw err;
  } finally {
    hold.release();
  }
}

/** Runs `job(0..n-1)`, at most `limit` at a time; after a failure starts no more, waits for the running ones, then throws the first error. */
async function inParallel(n: number, limit: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < n) {
      const i = next++;
      try {
        await job(i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, n)) }, lane));
  if (failure) throw failure.err;
}
