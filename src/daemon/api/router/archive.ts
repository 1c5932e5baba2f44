import type { ImageRunConfig } from '../../../images/image-config.js';
import { invalidArgument } from '../../../errors/engine-error.js';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import { archiveContainerPath, statContainerPath, type PathStat } from '../../../engine/containers/archive-get.js';
import { extractToContainer } from '../../../engine/containers/archive-put.js';
import { exportContainer } from '../../../engine/containers/export.js';
import { containerChanges } from '../../../engine/containers/changes.js';
import { commitContainer } from '../../../engine/containers/commit.js';
import type { Router } from '../router.js';
import { queryBool, readJsonBody, type RequestContext } from '../request-context.js';
import { commonHeaders, sendJson, sendStatus } from '../reply.js';

const statHeader = (s: PathStat): string => Buffer.from(JSON.stringify(s)).toString('base64');

function pathParam(rc: RequestContext): string {
  const p = rc.query.get('path');
  if (p === null || p === '') throw invalidArgument('Path cannot be empty');
  return p;
}

/** A container's filesystem: archive (docker cp), export, changes (diff) and commit. */
export function registerArchiveRoutes(router: Router, sup: ContainerSupervisor): void {
  router.head('/containers/:id/archive', async (rc) => {
    const stat = await statContainerPath(sup, rc.params['id'] ?? '', pathParam(rc));
    const res = rc.res;
    if (!res) throw invalidArgument('archive needs a plain HTTP request');
    res.writeHead(200, { ...commonHeaders(), 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Length': 0 });
    res.end();
  });

  router.get('/containers/:id/archive', async (rc) => {
    const res = rc.res;
    if (!res) throw invalidArgument('archive needs a plain HTTP request');
    await archiveContainerPath(sup, rc.params['id'] ?? '', pathParam(rc), (stat) => {
      res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': statHeader(stat) });
      return res;
    });
  });

  router.put('/containers/:id/archive', async (rc) => {
    await extractToContainer(sup, rc.params['id'] ?? '', pathParam(rc), rc.req, {
      noOverwriteDirNonDir: queryBool(rc.query, 'noOverwriteDirNonDir'),
      copyUIDGID: queryBool(rc.query, 'copyUIDGID'),
    });
    sendStatus(rc, 200);
  });

  router.get('/containers/:id/export', async (rc) => {
    const res = rc.res;
    if (!res) throw invalidArgument('export needs a plain HTTP request');
    await exportContainer(sup, rc.params['id'] ?? '', () => {
      res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/x-tar' });
      return res;
    });
  });

  router.get('/containers/:id/changes', async (rc) => {
    sendJson(rc, 200, await containerChanges(sup, rc.params['id'] ?? ''));
  });

  router.post('/commit', async (rc) => {
    const body = await readJsonBody(rc.req);
    const container = rc.query.get('container') ?? '';
    if (container === '') throw invalidArgument('No container specified');
    const q = (name: string): string | undefined => rc.query.get(name) || undefined;
    const id = await commitContainer(sup, container, {
      ...(q('repo') ? { repo: q('repo') } : {}),
      ...(q('tag') ? { tag: q('tag') } : {}),
      ...(q('comment') ? { comment: q('comment') } : {}),
      ...(q('author') ? { author: q('author') } : {}),
      pause: queryBool(rc.query, 'pause', true),
      changes: rc.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== ''),
      ...(isConfigObject(body) ? { config: body as ImageRunConfig } : {}),
    });
    sendJson(rc, 201, { Id: id });
  });
}

/** A JSON object as the body; the docker CLI sends `null` when it has no config. */
function isConfigObject(body: unknown): boolean {
  return body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length > 0;
}
