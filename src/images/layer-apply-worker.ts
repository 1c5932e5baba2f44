// Worker-thread side of applyLayerFile (layer-apply-file.ts): unpacks one layer blob with blocking file-system calls.
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../errors/engine-error.js';
import type { IdMapping } from '../lib/id-mapping.js';
import { applyLayer } from './layer-apply.js';
import { syncLayerFs } from './layer-fs.js';

export interface LayerApplyJob {
  readonly path: string;
  readonly destDir: string;
  readonly idMap?: IdMapping;
}

export type LayerApplyReply =
  | { readonly ok: true; readonly size: number; readonly diffId: string }
  | { readonly ok: false; readonly message: string; readonly engineCode?: string; readonly errno?: string };

const job = workerData as LayerApplyJob;
let reply: LayerApplyReply;
try {
  const applied = await applyLayer(createReadStream(job.path, { highWaterMark: 1 << 20 }), job.destDir, { fs: syncLayerFs, ...(job.idMap ? { idMap: job.idMap } : {}) });
  reply = { ok: true, size: applied.size, diffId: applied.diffId };
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  reply = { ok: false, message: e.message, ...(err instanceof EngineError ? { engineCode: err.code } : {}), ...(typeof e.code === 'string' ? { errno: e.code } : {}) };
}
parentPort?.postMessage(reply);
