import { pipeline } from 'node:stream/promises';
import { EngineError } from '../../../errors/engine-error.js';
import type { EngineContext } from '../../../engine/engine-context.js';
import { imageHistory } from '../../../engine/images/history.js';
import { importImage } from '../../../engine/images/import.js';
import { inspectImage } from '../../../engine/images/inspect.js';
import { listImageSummaries } from '../../../engine/images/list.js';
import { loadImages } from '../../../engine/images/load.js';
import { imageOperations } from '../../../engine/concurrency/limit.js';
import { removeImage } from '../../../engine/images/remove.js';
import { saveImages } from '../../../engine/images/save.js';
import { tagImage } from '../../../engine/images/tag.js';
import { resolveImage } from '../../../engine/images/resolve.js';
import type { Router } from '../router.js';
import { imageInspectShape, imageSummaryShape } from '../compat/api-version-shapes.js';
import { pullFromRegistry } from './registry.js';
import { queryBool, queryFilters, type RequestContext } from '../request-context.js';
import { commonHeaders, sendJson, sendStatus } from '../reply.js';

export function registerImageRoutes(router: Router, ctx: EngineContext): void {
  router.post('/images/load', async (rc) => {
    const result = await imageOperations.run(() => loadImages(ctx, rc.req, { signal: rc.signal }), rc.signal);
    sendJsonStream(rc, result.messages.map((m) => ({ stream: `${m}\n` })));
  });

  router.get('/images/get', async (rc) => sendTar(rc, await saveImages(ctx, rc.query.getAll('names'))));
  router.get('/images/*name/get', async (rc) => sendTar(rc, await saveImages(ctx, [param(rc, 'name')])));

  router.post('/images/create', async (rc) => {
    const fromImage = rc.query.get('fromImage');
    if (fromImage) return pullFromRegistry(rc, ctx, fromImage);
    const fromSrc = rc.query.get('fromSrc');
    if (fromSrc !== '-') {
      rc.req.resume();
      throw new EngineError('not_implemented', `importing from a URL is not supported (fromSrc=${fromSrc ?? ''}); send the tarball as the body with fromSrc=-`);
    }
    const id = await imageOperations.run(
      () =>
        importImage(ctx, rc.req, {
          repo: rc.query.get('repo') ?? undefined,
          tag: rc.query.get('tag') ?? undefined,
          message: rc.query.get('message') ?? undefined,
          changes: rc.query.getAll('changes'),
          platform: rc.query.get('platform') ?? undefined,
          sourceName: fromSrc,
        }),
      rc.signal,
    );
    sendJsonStream(rc, [{ status: id }]);
  });

  router.get('/images/json', (rc) => {
    sendJson(rc, 200, listImageSummaries(ctx, { filters: legacyFilter(rc), all: queryBool(rc.query, 'all') }).map((s) => imageSummaryShape(s, rc.apiVersion)));
  });
  router.get('/images/*name/json', (rc) => {
    const image = resolveImage(ctx, param(rc, 'name'));
    const legacy = { container: image.config.container, containerConfig: image.config.container_config };
    sendJson(rc, 200, imageInspectShape(inspectImage(ctx, image.id), rc.apiVersion, legacy));
  });
  router.get('/images/*name/history', (rc) => sendJson(rc, 200, imageHistory(ctx, param(rc, 'name'))));

  router.post('/images/*name/tag', (rc) => {
    tagImage(ctx, param(rc, 'name'), { repo: rc.query.get('repo') ?? '', tag: rc.query.get('tag') ?? undefined });
    sendStatus(rc, 201);
  });

  router.delete('/images/*name', async (rc) => {
    const items = await removeImage(ctx, param(rc, 'name'), { force: queryBool(rc.query, 'force'), noprune: queryBool(rc.query, 'noprune') });
    sendJson(rc, 200, items);
  });
}

function param(rc: RequestContext, name: string): string {
  return rc.params[name] ?? '';
}

/** Docker's pre-1.25 `filter=<reference>` query joins the `reference` filter. */
function legacyFilter(rc: RequestContext): Map<string, string[]> {
  const filters = queryFilters(rc.query);
  const legacy = rc.query.get('filter');
  if (legacy) filters.set('reference', [...(filters.get('reference') ?? []), legacy]);
  return filters;
}

/** A finished JSON message stream (Docker's progress format), one object per line. */
function sendJsonStream(rc: RequestContext, messages: readonly unknown[]): void {
  const res = rc.res;
  if (!res) return;
  const body = messages.map((m) => JSON.stringify(m) + '\n').join('');
  res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function sendTar(rc: RequestContext, archive: NodeJS.ReadableStream): Promise<void> {
  const res = rc.res;
  if (!res) return;
  res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/x-tar' });
  if (rc.method === 'HEAD') {
    (archive as unknown as { destroy(): void }).destroy();
    res.end();
    return;
  }
  await pipeline(archive, res, { signal: rc.signal }).catch((err: unknown) => {
    res.destroy(err as Error);
  });
}
