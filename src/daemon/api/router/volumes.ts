import { invalidArgument } from '../../../errors/engine-error.js';
import type { EngineContext } from '../../../engine/engine-context.js';
import { createVolume } from '../../../engine/volumes/create.js';
import { requireVolume } from '../../../engine/volumes/inspect.js';
import { listVolumes } from '../../../engine/volumes/list.js';
import { pruneVolumes } from '../../../engine/volumes/prune.js';
import { removeVolume } from '../../../engine/volumes/remove.js';
import type { Router } from '../router.js';
import { queryBool, queryFilters, readJsonBody } from '../request-context.js';
import { sendJson, sendStatus } from '../reply.js';
import { volumeWire } from '../convert/volume-wire.js';
import { volumePruneFilters } from '../compat/versioned-requests.js';

const stringMap = (v: unknown, what: string): Record<string, string> | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${what}`);
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
};

export function registerVolumeRoutes(router: Router, ctx: EngineContext): void {
  router.post('/volumes/create', async (rc) => {
    const body = ((await readJsonBody(rc.req)) ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid volume create request');
    const v = await createVolume(ctx, {
      ...(typeof body['Name'] === 'string' ? { name: body['Name'] } : {}),
      ...(typeof body['Driver'] === 'string' ? { driver: body['Driver'] } : {}),
      driverOpts: stringMap(body['DriverOpts'], 'DriverOpts') ?? {},
      labels: stringMap(body['Labels'], 'Labels') ?? {},
    });
    sendJson(rc, 201, volumeWire(v));
  });

  router.get('/volumes', (rc) => {
    sendJson(rc, 200, { Volumes: listVolumes(ctx, queryFilters(rc.query)).map((v) => volumeWire(v)), Warnings: [] });
  });

  router.post('/volumes/prune', async (rc) => {
    sendJson(rc, 200, await pruneVolumes(ctx, volumePruneFilters(queryFilters(rc.query), rc.apiVersion)));
  });

  router.get('/volumes/:name', (rc) => {
    sendJson(rc, 200, volumeWire(requireVolume(ctx, rc.params['name'] ?? '')));
  });

  router.delete('/volumes/:name', async (rc) => {
    await removeVolume(ctx, rc.params['name'] ?? '', { force: queryBool(rc.query, 'force') });
    sendStatus(rc, 204);
  });
}
