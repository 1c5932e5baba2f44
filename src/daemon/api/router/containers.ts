import { invalidArgument } from '../../../errors/engine-error.js';
import { checkShape, containerConfigShape, hostConfigShape, updateConfigShape } from '../../../engine/security/api-shape.js';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import type { ContainerConfig, HostConfig } from '../../../engine/containers/container-model.js';
import { createContainer } from '../../../engine/containers/create.js';
import { startContainer } from '../../../engine/containers/start.js';
import { stopContainer } from '../../../engine/containers/stop.js';
import { killContainer } from '../../../engine/containers/kill.js';
import { restartContainer } from '../../../engine/containers/restart.js';
import { parseWaitCondition, waitContainer } from '../../../engine/containers/wait.js';
import { removeContainer } from '../../../engine/containers/remove.js';
import { listContainers } from '../../../engine/containers/list.js';
import { parseLogTime, readContainerLogs } from '../../../engine/containers/logs.js';
import { renameContainerTo } from '../../../engine/containers/rename.js';
import { pauseContainer, unpauseContainer } from '../../../engine/containers/pause.js';
import { resizeContainerTty } from '../../../engine/containers/resize.js';
import { requireContainer } from '../../../engine/containers/container-repo.js';
import { updateContainer, type ContainerUpdate } from '../../../engine/containers/resources-update.js';
import { containerSize, type ContainerSize } from '../../../engine/containers/size.js';
import type { Router } from '../router.js';
import { queryBool, queryFilters, queryInt, readJsonBody, type RequestContext } from '../request-context.js';
import { commonHeaders, sendJson, sendStatus } from '../reply.js';
import { containerInspectWire, containerSummaryWire } from '../convert/container-wire.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, frame } from '../stdcopy.js';
import { handleAttach } from './container-attach.js';
import { handleAttachWs } from './container-attach-ws.js';
import { activeExecIds } from '../../../engine/exec/exec-ids.js';
import { handleStats } from './container-stats.js';
import { topContainer } from '../../../engine/containers/top.js';
import { formatTimestamp } from '../convert/timestamps.js';
import { containerInspectShape, containerSummaryShape } from '../compat/api-version-shapes.js';
import { migrateMacAddress } from '../compat/mac-address-bc.js';
import { containerCreateFields } from '../compat/versioned-requests.js';

/** How long logs waits for its first entry before sending the response head without it. */
const FIRST_ENTRY_WAIT_MS = 100;

export function registerContainerRoutes(router: Router, sup: ContainerSupervisor): void {
  router.post('/containers/create', async (ctx) => {
    const body = await readJsonBody(ctx.req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('config cannot be empty in order to create a container');
    const { HostConfig, NetworkingConfig, ...config } = body as Record<string, unknown> & { HostConfig?: unknown; NetworkingConfig?: unknown };
    checkShape(config, containerConfigShape);
    checkShape(HostConfig, hostConfigShape);
    containerCreateFields(config, HostConfig as Record<string, unknown> | undefined, ctx.apiVersion);
    const platform = ctx.query.get('platform') ?? '';
    const endpointsConfig = endpointsConfigOf(NetworkingConfig);
    const networkMode = (HostConfig as { NetworkMode?: unknown } | null | undefined)?.NetworkMode;
    const macWarning = migrateMacAddress(config, typeof networkMode === 'string' ? networkMode : '', endpointsConfig, ctx.apiVersion);
    const result = await createContainer(sup, {
      name: ctx.query.get('name') ?? undefined,
      ...(platform !== '' ? { platform } : {}),
      config: config as Partial<ContainerConfig>,
      hostConfig: (HostConfig ?? {}) as Partial<HostConfig>,
      endpointsConfig,
    });
    if (macWarning !== undefined) result.Warnings.push(macWarning);
    sendJson(ctx, 201, result);
  });

  router.get('/containers/json', async (ctx) => {
    const list = await listContainers(sup, {
      all: queryBool(ctx.query, 'all'),
      limit: queryInt(ctx.query, 'limit'),
      filters: queryFilters(ctx.query),
    });
    const rows = list.map((c) => containerSummaryShape(containerSummaryWire(c), ctx.apiVersion));
    if (queryBool(ctx.query, 'size')) {
      await Promise.all(list.map(async (c, i) => Object.assign(rows[i] ?? {}, sizeWire(await containerSize(sup.ctx, c)))));
    }
    sendJson(ctx, 200, rows);
  });

  router.get('/containers/:id/json', async (ctx) => {
    const c = requireContainer(sup.ctx.db, param(ctx, 'id'));
    const wire = containerInspectWire(c, activeExecIds(sup.ctx.db, c));
    if (queryBool(ctx.query, 'size')) Object.assign(wire, sizeWire(await containerSize(sup.ctx, c)));
    sendJson(ctx, 200, containerInspectShape(wire, ctx.apiVersion));
  });

  router.post('/containers/:id/start', async (ctx) => {
    await startContainer(sup, param(ctx, 'id'));
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/stop', async (ctx) => {
    await stopContainer(sup, param(ctx, 'id'), stopOptions(ctx));
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/restart', async (ctx) => {
    await restartContainer(sup, param(ctx, 'id'), stopOptions(ctx));
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/kill', async (ctx) => {
    await killContainer(sup, param(ctx, 'id'), ctx.query.get('signal') || 'SIGKILL');
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/pause', async (ctx) => {
    await pauseContainer(sup, param(ctx, 'id'));
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/unpause', async (ctx) => {
    await unpauseContainer(sup, param(ctx, 'id'));
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/rename', (ctx) => {
    renameContainerTo(sup, param(ctx, 'id'), ctx.query.get('name') ?? '');
    sendStatus(ctx, 204);
  });

  router.post('/containers/:id/resize', async (ctx) => {
    await resizeContainerTty(sup, param(ctx, 'id'), queryInt(ctx.query, 'h') ?? 0, queryInt(ctx.query, 'w') ?? 0);
    sendStatus(ctx, 200);
  });

  router.post('/containers/:id/wait', async (ctx) => {
    const condition = parseWaitCondition(ctx.query.get('condition'));
    const { result } = waitContainer(sup, param(ctx, 'id'), condition, ctx.signal);
    // Docker sends the headers at once and the body when the condition is met.
    const res = ctx.res;
    if (!res) throw invalidArgument('wait needs a plain HTTP request');
    res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json' });
    res.flushHeaders();
    try {
      const r = await result;
      res.end(JSON.stringify(r) + '\n');
    } catch {
      res.end();
    }
  });

  router.delete('/containers/:id', async (ctx) => {
    await removeContainer(sup, param(ctx, 'id'), { force: queryBool(ctx.query, 'force'), volumes: queryBool(ctx.query, 'v') });
    sendStatus(ctx, 204);
  });

  router.get('/containers/:id/logs', async (ctx) => {
    const c = requireContainer(sup.ctx.db, param(ctx, 'id'));
    const stdout = queryBool(ctx.query, 'stdout');
    const stderr = queryBool(ctx.query, 'stderr');
    if (!stdout && !stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
    const tailRaw = ctx.query.get('tail');
    const tail = tailRaw === null || tailRaw === '' || tailRaw === 'all' ? undefined : Number.parseInt(tailRaw, 10);
    const timestamps = queryBool(ctx.query, 'timestamps');
    const details = queryBool(ctx.query, 'details');
    const entries = readContainerLogs(sup, c.id, {
      stdout,
      stderr,
      follow: queryBool(ctx.query, 'follow'),
      sinceNs: parseLogTime(ctx.query.get('since')),
      untilNs: parseLogTime(ctx.query.get('until')),
      tail: tail !== undefined && Number.isNaN(tail) ? undefined : tail,
      signal: ctx.signal,
    });
    const res = ctx.res;
    if (!res) throw invalidArgument('logs needs a plain HTTP request');
    // dockerd answers as soon as the reader is open, not at the first line (logs -f of a silent container):
    // an error opening the log still gets its status; the first entry is waited for only briefly.
    const firstP = entries.next();
    firstP.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([firstP, new Promise<void>((r) => (timer = setTimeout(r, FIRST_ENTRY_WAIT_MS)))]);
    } finally {
      clearTimeout(timer);
    }
    res.writeHead(200, { ...commonHeaders(), 'Content-Type': c.config.Tty ? RAW_STREAM : MULTIPLEXED_STREAM });
    res.flushHeaders();
    const write = async (e: { stream: 'stdout' | 'stderr'; data: Buffer; timeNs: bigint; attrs?: Readonly<Record<string, string>> }): Promise<void> => {
      // dockerd httputils.WriteLogStream: "<time> " then, with details, "k=v,k2=v2 " (query-escaped) before the line.
      const prefix = (timestamps ? formatTimestamp(e.timeNs) + ' ' : '') + (details ? logDetails(e.attrs) + ' ' : '');
      const data = prefix !== '' ? Buffer.concat([Buffer.from(prefix), e.data]) : e.data;
      const ok = res.write(c.config.Tty ? data : frame(e.stream, data));
      if (!ok) await new Promise<void>((resolve) => res.once('drain', resolve));
    };
    const first = await firstP;
    if (!first.done) {
      await write(first.value);
      for await (const e of entries) {
        if (ctx.signal.aborted) break;
        await write(e);
      }
    }
    res.end();
  });

  router.post('/containers/:id/attach', (ctx) => handleAttach(sup, ctx));
  router.get('/containers/:id/attach/ws', (ctx) => handleAttachWs(sup, ctx));

  router.get('/containers/:id/stats', (ctx) => handleStats(sup, ctx));

  router.get('/containers/:id/top', async (ctx) => {
    sendJson(ctx, 200, await topContainer(sup, param(ctx, 'id'), ctx.query.get('ps_args') ?? ''));
  });

  router.post('/containers/:id/update', async (ctx) => {
    const body = await readJsonBody(ctx.req);
    checkShape(body, updateConfigShape);
    sendJson(ctx, 200, await updateContainer(sup, param(ctx, 'id'), (typeof body === 'object' && body !== null ? body : {}) as ContainerUpdate));
  });
}

/** dockerd attrsByteSlice: Go url.QueryEscape of each key and value, comma-separated (keys sorted here; Go's map order is random). */
function logDetails(attrs: Readonly<Record<string, string>> | undefined): string {
  const esc = (v: string): string => encodeURIComponent(v).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(attrs ?? {})
    .sort()
    .map((k) => `${esc(k)}=${esc(attrs?.[k] ?? '')}`)
    .join(',');
}

function param(ctx: RequestContext, name: string): string {
  return ctx.params[name] ?? '';
}

function stopOptions(ctx: RequestContext): { signal?: string; timeout?: number } {
  const signal = ctx.query.get('signal');
  const t = queryInt(ctx.query, 't');
  return { ...(signal ? { signal } : {}), ...(t !== undefined ? { timeout: t } : {}) };
}

/** Docker omits SizeRw when the container wrote nothing. */
function sizeWire(size: ContainerSize): Record<string, number> {
  return size.sizeRw > 0 ? { SizeRw: size.sizeRw, SizeRootFs: size.sizeRootFs } : { SizeRootFs: size.sizeRootFs };
}

/** NetworkingConfig.EndpointsConfig → aliases, requested IPv4 and MAC per network. */
function endpointsConfigOf(v: unknown): Record<string, { aliases: string[]; ipv4: string; mac?: string; linkLocalIPs?: string[] }> {
  const eps = (v as { EndpointsConfig?: unknown } | null | undefined)?.EndpointsConfig;
  if (typeof eps !== 'object' || eps === null) return {};
  const out: Record<string, { aliases: string[]; ipv4: string; mac?: string; linkLocalIPs?: string[] }> = {};
  for (const [name, raw] of Object.entries(eps as Record<string, unknown>)) {
    const e = (raw ?? {}) as { Aliases?: unknown; IPAMConfig?: { IPv4Address?: unknown; LinkLocalIPs?: unknown } | null; MacAddress?: unknown };
    out[name] = {
      aliases: Array.isArray(e.Aliases) ? e.Aliases.map(String) : [],
      ipv4: typeof e.IPAMConfig?.IPv4Address === 'string' ? e.IPAMConfig.IPv4Address : '',
      ...(Array.isArray(e.IPAMConfig?.LinkLocalIPs) && e.IPAMConfig.LinkLocalIPs.length > 0 ? { linkLocalIPs: e.IPAMConfig.LinkLocalIPs.map(String) } : {}),
      ...(typeof e.MacAddress === 'string' && e.MacAddress !== '' ? { mac: e.MacAddress } : {}),
    };
  }
  return out;
}
