import { invalidArgument } from '../../../errors/engine-error.js';
import { imageOperations } from '../../../engine/concurrency/limit.js';
import { type BuildMessage, BuildFailure, prepareBuild, type StepResources } from '../../../engine/build/build-image.js';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import type { Router } from '../router.js';
import { queryBool, queryFilters, type RequestContext } from '../request-context.js';
import { commonHeaders, sendJson } from '../reply.js';
import { pruneBuildCache } from '../../../engine/build/prune-build-cache.js';
import { registryConfigOf } from './registry.js';

export function registerBuildRoutes(router: Router, sup: ContainerSupervisor): void {
  router.post('/build/prune', async (rc) => sendJson(rc, 200, await pruneBuildCache(sup.ctx, { all: queryBool(rc.query, 'all'), filters: queryFilters(rc.query) })));
  router.post('/build', async (rc) => {
    const q = rc.query;
    // Context extraction and the build itself each take a slot of the image-operation limit.
    const prepared = await imageOperations.run(() => prepareBuild(sup, rc.req, {
      dockerfile: q.get('dockerfile') ?? undefined,
      tags: q.getAll('t').filter((t) => t !== ''),
      buildArgs: jsonRecord(q.get('buildargs'), 'buildargs') as Record<string, string | null>,
      target: q.get('target') || undefined,
      noCache: queryBool(q, 'nocache'),
      pull: queryBool(q, 'pull'),
      labels: jsonRecord(q.get('labels'), 'labels') as Record<string, string>,
      networkMode: q.get('networkmode') || undefined,
      extraHosts: q.getAll('extrahosts').flatMap((h) => h.split(/[,\s]+/)).filter((h) => h !== ''),
      platform: q.get('platform') || undefined,
      rm: queryBool(q, 'rm', true),
      forceRm: queryBool(q, 'forcerm'),
      registryCredentials: registryConfigOf(rc),
      stepResources: stepResourcesOf(q),
    }), rc.signal);
    try {
      await imageOperations.run(() => streamBuild(rc, queryBool(q, 'q'), (emit) => prepared.run(emit, rc.signal)), rc.signal);
    } finally {
      await prepared.dispose();
    }
  });
}

/** Docker's JSON message stream; with `q` only the image id (or, on failure, everything) is written. */
async function streamBuild(rc: RequestContext, quiet: boolean, run: (emit: (m: BuildMessage) => void) => Promise<string>): Promise<void> {
  const res = rc.res;
  if (!res) return;
  res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json' });
  const buffered: BuildMessage[] = [];
  const write = (m: unknown): void => {
    if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(m)}\n`);
  };
  const emit = (m: BuildMessage): void => {
    if (quiet && 'stream' in m) buffered.push(m);
    else write(m);
  };
  try {
    const id = await run(emit);
    if (quiet) write({ stream: `${id}\n` });
  } catch (err) {
    if (quiet) for (const m of buffered) write(m);
    const code = err instanceof BuildFailure ? err.code : 0;
    const message = (err as Error).message;
    write({ errorDetail: { ...(code !== 0 ? { code } : {}), message }, error: message });
  }
  res.end();
}

/**
 * Resource limits for the RUN step containers, as moby's postBuild reads them
 * (httputils.Int64ValueOrZero: a value that is not a number counts as unset).
 */
function stepResourcesOf(q: URLSearchParams): StepResources {
  const int = (name: string): number => {
    const n = Number.parseInt(q.get(name) ?? '', 10);
    return Number.isFinite(n) ? n : 0;
  };
  return {
    Memory: int('memory'),
    MemorySwap: int('memswap'),
    CpuShares: int('cpushares'),
    CpusetCpus: q.get('cpusetcpus') ?? '',
    CpuPeriod: int('cpuperiod'),
    CpuQuota: int('cpuquota'),
    ShmSize: int('shmsize'),
  };
}

function jsonRecord(raw: string | null, name: string): Record<string, unknown> {
  if (raw === null || raw === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid ${name} parameter: ${raw}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`invalid ${name} parameter: ${raw}`);
  return v as Record<string, unknown>;
}
