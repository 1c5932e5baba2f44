import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import { containerStats } from '../../../engine/containers/stats.js';
import { requireContainer } from '../../../engine/containers/container-repo.js';
import { queryBool, type RequestContext } from '../request-context.js';
import { commonHeaders } from '../reply.js';
import { statsWire } from '../convert/stats-wire.js';

/** GET /containers/{id}/stats: JSON lines every second (stream, the default) or one object. */
export async function handleStats(sup: ContainerSupervisor, ctx: RequestContext): Promise<void> {
  const res = ctx.res;
  if (!res) return;
  const c = requireContainer(sup.ctx.db, ctx.params['id'] ?? '');
  const stream = queryBool(ctx.query, 'stream', true);
  const samples = containerStats(sup, c.id, { stream, oneShot: queryBool(ctx.query, 'one-shot'), signal: ctx.signal });
  res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json' });
  if (stream) res.flushHeaders();
  for await (const { current, previous } of samples) {
    if (ctx.signal.aborted) break;
    res.write(JSON.stringify(statsWire(current, previous)) + '\n');
  }
  res.end();
}
