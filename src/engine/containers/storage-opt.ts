import { readFile } from 'node:fs/promises';
import { EngineError, internal } from '../../errors/engine-error.js';

/*
 * HostConfig.StorageOpt for the overlay snapshotter, checked at create the
 * way dockerd's overlay2 driver does (CreateReadWrite + parseStorageOpt):
 * `size` needs overlay over xfs mounted with project quotas, any other key
 * is unknown. Both are plain errors in dockerd, so 500s.
 */

/** The mount holding `path` (longest mount point prefix in mountinfo): its fs type and super options. */
async function backingMount(path: string): Promise<{ fsType: string; options: string[] } | undefined> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  let best: { point: string; fsType: string; options: string[] } | undefined;
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (pre === undefined || post === undefined) continue;
    const point = (pre.split(' ')[4] ?? '').replace(/\\040/g, ' ');
    const under = point === '/' || path === point || path.startsWith(`${point}/`);
    if (!under || (best && best.point.length > point.length)) continue;
    const [fsType = '', , superOpts = ''] = post.split(' ');
    best = { point, fsType, options: superOpts.split(',') };
  }
  return best;
}

/** xfs with prjquota (`pquota` at mount time shows as prjquota): what overlay2 needs for `size`. */
export async function projectQuotaSupported(dataRoot: string): Promise<boolean> {
  const m = await backingMount(dataRoot);
  return m !== undefined && m.fsType === 'xfs' && m.options.some((o) => o === 'prjquota' || o === 'pquota');
}

// docker/go-units RAMInBytes.
const sizeText = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/;

/** Throws dockerd's error for StorageOpt this data root cannot honour; nothing is created before it. */
export async function checkStorageOpt(storageOpt: Readonly<Record<string, string>> | null | undefined, dataRoot: string): Promise<void> {
  const opts = storageOpt ?? {};
  if (Object.keys(opts).length === 0) return;
  const quota = await projectQuotaSupported(dataRoot);
  if ('size' in opts && !quota) throw internal("--storage-opt is supported only for overlay over xfs with 'pquota' mount option");
  for (const [key, value] of Object.entries(opts)) {
    if (key.toLowerCase() !== 'size') throw internal(`Unknown option ${key.toLowerCase()}`);
    if (!sizeText.test(value)) throw internal(`invalid size: '${value}'`);
  }
  // Setting an xfs project quota on the upper dir is not written yet; refusing beats ignoring a limit.
  throw new EngineError('not_implemented', '--storage-opt size: xfs project quotas are not supported by this build of Berth');
}
