import type { EngineContext } from '../engine-context.js';
import type { ResolvedMount } from './volume-model.js';
import { removeVolume } from './remove.js';

/**
 * Removes the anonymous volumes among `mounts` that no container uses any
 * more (a failed create, `rm -v`, `run --rm`). Named volumes always stay.
 */
export async function removeAnonymousVolumes(ctx: EngineContext, mounts: readonly ResolvedMount[] | undefined): Promise<void> {
  for (const m of mounts ?? []) {
    if (m.type !== 'volume' || !m.anonymous || m.name === undefined) continue;
    await removeVolume(ctx, m.name, { force: true }).catch((err: unknown) =>
      ctx.log.warn('removing anonymous volume failed', { name: m.name ?? '', error: (err as Error).message }),
    );
  }
}
