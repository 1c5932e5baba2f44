import { Worker } from 'node:worker_threads';
import { EngineError, type ErrorCode } from '../errors/engine-error.js';
import type { AppliedLayer, ApplyLayerOptions } from './layer-apply.js';
import type { LayerApplyJob, LayerApplyReply } from './layer-apply-worker.js';

const WORKER = new URL('./layer-apply-worker.js', import.meta.url);

/**
 * applyLayer for a layer blob on disk, run in a worker thread with blocking
 * file-system calls: one syscall per step instead of a libuv round trip, and
 * the daemon's event loop stays free. Same contract as applyLayer (on error
 * the caller removes `destDir`); on abort the worker is stopped before this
 * rejects, so nothing writes into `destDir` afterwards.
 */
export async function applyLayerFile(path: string, destDir: string, options: Pick<ApplyLayerOptions, 'idMap'> & { signal?: AbortSignal } = {}): Promise<AppliedLayer> {
  options.signal?.throwIfAborted();
  const job: LayerApplyJob = { path, destDir, ...(options.idMap ? { idMap: options.idMap } : {}) };
  const worker = new Worker(WORKER, { workerData: job });
  let reply: LayerApplyReply | undefined;
  let failure: Error | undefined;
  const onAbort = (): void => {
    failure ??= options.signal?.reason instanceof Error ? options.signal.reason : new DOMException('This operation was aborted', 'AbortError');
    void worker.terminate();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await new Promise<void>((resolve) => {
      worker.on('message', (m: LayerApplyReply) => void (reply = m));
      worker.on('error', (err) => void (failure ??= err));
      worker.on('exit', () => resolve());
    });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure;
  if (!reply) throw new EngineError('internal', 'layer extraction worker exited without an answer');
  if (reply.ok) return { size: reply.size, diffId: reply.diffId };
  if (reply.engineCode !== undefined) throw new EngineError(reply.engineCode as ErrorCode, reply.message);
  throw Object.assign(new Error(reply.message), reply.errno !== undefined ? { code: reply.errno } : {});
}
