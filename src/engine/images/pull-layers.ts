// Layers of a pull: downloaded, verified, stored and unpacked in one streaming pass, a few at a time.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { EngineError, invalidArgument, isEngineError } from '../../errors/engine-error.js';
import { chainIds } from '../../images/chain-id.js';
import { decompressStream } from '../../images/decompress.js';
import { applyLayer } from '../../images/layer-apply.js';
import type { Descriptor } from '../../registry/client/manifest-types.js';
import { type ProgressSink, layerProgress, layerStatus, shortId } from '../../registry/client/progress-message.js';
import { RegistryError } from '../../registry/client/registry-error.js';
import type { RepositoryClient } from '../../registry/client/repository-client.js';
import { countLayersWithDiffId, getLayer, insertLayer } from '../../store/image-queries.js';
import type { EngineContext } from '../engine-context.js';

const RETRY_DELAYS_MS = [1000, 2000, 4000];

/** Retries network failures and 5xx answers with back-off (Docker retries a layer download 5 times). */
async function withRetries<T>(op: () => Promise<T>, onRetry: (attempt: number, delayMs: number) => void, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const retriable = err instanceof RegistryError && (err.status === 0 || err.status >= 500) && err.code !== 'DIGEST_INVALID' && err.code !== 'SIZE_INVALID';
      const delay = RETRY_DELAYS_MS[attempt];
      if (!retriable || delay === undefined || signal.aborted) throw err;
      onRetry(attempt + 1, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Downloads and unpacks the missing layers, at most max-concurrent-downloads
 * at a time. Each layer streams from the registry through a hash of the
 * compressed bytes into the decompressor, whose output goes both to the
 * content store (under its diff id) and into the layer's snapshot directory;
 * the snapshot is committed only after the blob's digest and the diff id
 * were verified, so nothing unverified is ever kept. Layer directories are
 * independent, so they unpack in parallel; `Pull complete` is reported in
 * layer order. A verified layer stays when another one fails, so a retried
 * pull does not fetch it again.
 */
export async function streamLayers(ctx: EngineContext, repo: RepositoryClient, layers: readonly Descriptor[], diffIds: readonly string[], present: readonly boolean[], progress: ProgressSink, abort: AbortController, committed: number[]): Promise<void> {
  const chain = chainIds(diffIds);
  const limit = Math.max(1, ctx.settings.maxConcurrentDownloads ?? 3);
  let running = 0;
  const queue: (() => void)[] = [];
  const slot = (): Promise<void> =>
    new Promise((resolve) => {
      if (running < limit) {
        running++;
        resolve();
      } else queue.push(resolve);
    });
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  let failure: unknown;
  const jobs = layers.map(async (layer, i): Promise<number> => {
    if (present[i]) return 0;
    const id = shortId(layer.digest);
    await slot();
    try {
      if (abort.signal.aborted) throw new EngineError('invalid_argument', 'pull cancelled');
      const { size } = await withRetries(
        () => streamLayer(ctx, repo, layer, diffIds[i] as string, chain[i] as string, progress, abort.signal),
        (_attempt, delay) => progress({ status: `Retrying in ${delay / 1000} second${delay === 1000 ? '' : 's'}`, progressDetail: {}, id }),
        abort.signal,
      );
      committed.push(i);
      return size;
    } catch (err) {
      failure ??= err;
      abort.abort();
      throw err;
    } finally {
      release();
    }
  });
  // a later layer may fail while an earlier one is awaited
  for (const job of jobs) job.catch(() => undefined);
  try {
    for (const [i, job] of jobs.entries()) {
      const size = await job;
      if (present[i]) continue;
      // rows go in layer order (a row names its parent's); a layer after a failed one keeps no row
      const parent = chain[i - 1] ?? null;
      if (parent === null || getLayer(ctx.db, parent)) {
        insertLayer(ctx.db, { chain_id: chain[i] as string, diff_id: diffIds[i] as string, parent, size, created_at: Date.now() });
      }
      progress(layerStatus('Pull complete', shortId((layers[i] as Descriptor).digest)));
    }
  } catch {
    await Promise.allSettled(jobs);
    throw failure instanceof RegistryError ? new EngineError('invalid_argument', failure.message) : failure;
  }
}

/** One layer: download, verify, decompress, store and unpack in one pass (see streamLayers). */
async function streamLayer(ctx: EngineContext, repo: RepositoryClient, layer: Descriptor, diffId: string, chainId: string, progress: ProgressSink, signal: AbortSignal): Promise<{ size: number }> {
  const id = shortId(layer.digest);
  const body = await repo.openBlob(layer.digest, signal);
  const input = new PassThrough({ highWaterMark: 1 << 20 });
  // its failures reach us through the sink; once the decompressor let go of it, nobody else listens
  input.on('error', () => undefined);
  let verified = false;
  let ingested = false;
  const sink = (async (): Promise<{ size: number }> => {
    const { stream } = await decompressStream(input);
    const [toStore, toDir] = tee(stream);
    const storing = ctx.content.ingest(toStore, { digest: diffId }).then(
      () => void (ingested = true),
      (err: unknown) => {
        toDir.destroy(err as Error);
        throw isEngineError(err, 'invalid_argument') ? invalidArgument(`invalid image: layer ${layer.digest} does not match diff id ${diffId} of the image config (${(err as Error).message})`) : err;
      },
    );
    storing.catch(() => undefined);
    try {
      return await ctx.snapshots.commitLayer(chainId, async (dir) => {
        const applied = await applyLayer(toDir, dir).catch((err: unknown) => {
          toStore.destroy(err as Error);
          throw err;
        });
        await storing;
        if (applied.diffId !== diffId) throw invalidArgument(`layer ${layer.digest} is corrupt (content digest ${applied.diffId}, diff id ${diffId})`);
        if (!verified) throw new EngineError('internal', `layer ${layer.digest} ended before its digest was verified`);
      });
    } catch (err) {
      await storing.catch(() => undefined);
      if (ingested && countLayersWithDiffId(ctx.db, diffId) === 0) await ctx.content.delete(diffId);
      throw err;
    }
  })();
  let sinkDone = false;
  const sinkSettled = sink.then(
    () => void (sinkDone = true),
    () => void (sinkDone = true),
  );
  const hash = createHash('sha256');
  let current = 0;
  let last = 0;
  // the decompressor gets ~1 MiB pieces: each write is a thread-pool round trip
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    const piece = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    // after a failure of the unpacking side the blob is still read to the end: a bad digest is the better error
    if (!sinkDone && !input.destroyed && !input.write(piece)) await Promise.race([once(input, 'drain').catch(() => undefined), sinkSettled]);
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      current += chunk.length;
      if (current > layer.size) throw new RegistryError(0, 'SIZE_INVALID', `blob ${layer.digest} is larger than its descriptor's ${layer.size} bytes`);
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        progress(layerProgress('Downloading', id, current, layer.size));
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= 1 << 20) await flush();
    }
    if (pendingBytes > 0) await flush();
  } catch (err) {
    body.destroy();
    input.destroy(err as Error);
    await sinkSettled;
    throw err;
  }
  if (`sha256:${hash.digest('hex')}` !== layer.digest || current !== layer.size) {
    const err = new RegistryError(0, 'DIGEST_INVALID', `filesystem layer verification failed for digest ${layer.digest}`);
    input.destroy(err);
    await sinkSettled;
    throw err;
  }
  verified = true;
  progress(layerProgress('Downloading', id, current, layer.size));
  progress(layerStatus('Verifying Checksum', id));
  progress(layerStatus('Download complete', id));
  progress(layerProgress('Extracting', id, layer.size, layer.size));
  input.end();
  return await sink;
}

/** Two streams carrying what `source` carries, at the pace of the slower; either failing fails the other. */
function tee(source: Readable): [PassThrough, PassThrough] {
  const outs = [new PassThrough({ highWaterMark: 1 << 20 }), new PassThrough({ highWaterMark: 1 << 20 })] as const;
  // each consumer sees its stream's failure; after a consumer is done, a late one must not go unhandled
  for (const out of outs) out.on('error', () => undefined);
  let ended = false;
  let waiting = 0;
  source.on('data', (chunk: Buffer) => {
    for (const out of outs) {
      if (!out.destroyed && !out.write(chunk)) {
        waiting++;
        out.once('drain', () => {
          if (--waiting === 0) source.resume();
        });
      }
    }
    if (waiting > 0) source.pause();
  });
  source.on('end', () => {
    ended = true;
    for (const out of outs) out.end();
  });
  source.on('error', (err) => {
    for (const out of outs) out.destroy(err);
  });
  for (const out of outs) {
    out.on('close', () => {
      if (ended) return;
      const err = out.errored ?? new Error('layer stream closed early');
      source.destroy(err);
      for (const other of outs) other.destroy(err);
    });
  }
  return [outs[0], outs[1]];
}
