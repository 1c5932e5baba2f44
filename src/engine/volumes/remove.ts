import { conflict, isEngineError } from '../../errors/engine-error.js';
import { deleteVolumeRow } from '../../store/volume-queries.js';
import type { EngineContext } from '../engine-context.js';
import { requireVolume } from './inspect.js';
import { volumeDriver } from './volume-model.js';
import { containersUsingVolume } from './volume-usage.js';

/**
 * DELETE /volumes/{name}. A volume used by any container (running or not)
 * is refused with 409 even with force; force only ignores a missing volume.
 */
export async function removeVolume(ctx: EngineContext, name: string, opts: { force?: boolean } = {}): Promise<void> {
  let v;
  try {
    v = requireVolume(ctx, name);
  } catch (err) {
    if (opts.force && isEngineError(err, 'not_found')) return;
    throw err;
  }
  const users = containersUsingVolume(ctx, v.name);
  if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
  await volumeDriver(ctx).remove(v.name);
  deleteVolumeRow(ctx.db, v.name);
  ctx.events.publish('volume', 'destroy', v.name, { driver: v.driver });
}
