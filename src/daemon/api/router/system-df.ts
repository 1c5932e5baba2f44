import { invalidArgument } from '../../../errors/engine-error.js';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import { pruneContainers } from '../../../engine/containers/prune.js';
import { pruneImages } from '../../../engine/images/prune.js';
import { diskUsage, type DfType } from '../../../engine/system/df.js';
import type { Router } from '../router.js';
import { queryFilters } from '../request-context.js';
import { sendJson } from '../reply.js';
import { containerSummaryWire } from '../convert/container-wire.js';
import { volumeWire } from '../convert/volume-wire.js';
import { systemDfShape } from '../compat/api-version-shapes.js';

const DF_TYPES = new Set(['container', 'image', 'volume', 'build-cache']);

/** Disk usage and pruning: GET /system/df, POST /containers/prune, /images/prune (volumes: volumes.ts). */
export function registerSystemDfRoutes(router: Router, sup: ContainerSupervisor): void {
  router.get('/system/df', async (rc) => {
    const types = rc.query.getAll('type');
    for (const t of types) if (!DF_TYPES.has(t)) throw invalidArgument(`unknown object type: ${t}`);
    const du = await diskUsage(sup.ctx, new Set(types as DfType[]));
    const body = {
      ...(du.layersSize !== undefined ? { LayersSize: du.layersSize } : {}),
      ...(du.images ? { Images: du.images } : {}),
      ...(du.containers
        ? {
            // SizeRw is omitempty in dockerd: a container that wrote nothing has none.
            Containers: du.containers.map(({ container, size }) => ({ ...containerSummaryWire(container), ...(size.sizeRw > 0 ? { SizeRw: size.sizeRw } : {}), SizeRootFs: size.sizeRootFs })),
          }
        : {}),
      ...(du.volumes ? { Volumes: du.volumes.map(({ volume, usage }) => volumeWire(volume, usage)) } : {}),
      ...(du.buildCache ? { BuildCache: du.buildCache } : {}),
    };
    sendJson(rc, 200, systemDfShape(body, rc.apiVersion));
  });

  router.post('/containers/prune', async (rc) => {
    sendJson(rc, 200, await pruneContainers(sup, queryFilters(rc.query)));
  });

  router.post('/images/prune', async (rc) => {
    sendJson(rc, 200, await pruneImages(sup.ctx, queryFilters(rc.query)));
  });
}
