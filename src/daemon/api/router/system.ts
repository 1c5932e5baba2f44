import { randomUUID } from 'node:crypto';
import type { EngineContext } from '../../../engine/engine-context.js';
import { bridgeNetfilter, containerCounts, imageCount, type HostFacts } from '../../../engine/system/system-info.js';
import { infoShape } from '../compat/api-version-shapes.js';
import type { EngineEvent } from '../../../events/event-bus.js';
import type { Router } from '../router.js';
import { queryFilters } from '../request-context.js';
import { commonHeaders, sendJson } from '../reply.js';
import { API_VERSION, MIN_API_VERSION } from '../versions.js';
import { parseLogTime } from '../../../engine/containers/logs.js';

export const BERTH_VERSION = '0.1.0';

export interface SystemRouteDeps {
  readonly ctx: EngineContext;
  readonly facts: HostFacts;
  readonly daemonId: string;
  readonly warnings: readonly string[];
}

export function registerSystemRoutes(router: Router, deps: SystemRouteDeps): void {
  const ping = (res: import('node:http').ServerResponse | undefined, head: boolean): void => {
    if (!res) return;
    res.writeHead(200, {
      ...commonHeaders(),
      'Builder-Version': '1',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': head ? 0 : 2,
      Swarm: 'inactive',
    });
    res.end(head ? undefined : 'OK');
  };
  router.add('GET', '/_ping', (c) => ping(c.res, false));
  router.add('HEAD', '/_ping', (c) => ping(c.res, true));

  router.get('/version', (c) => sendJson(c, 200, versionBody(deps)));
  router.get('/info', async (c) => sendJson(c, 200, infoShape(infoBody(deps), c.apiVersion, await bridgeNetfilter())));

  router.get('/events', async (c) => {
    const res = c.res;
    if (!res) return;
    const filters = queryFilters(c.query);
    const sinceNs = parseLogTime(c.query.get('since'));
    const untilNs = parseLogTime(c.query.get('until'));
    const match = (e: EngineEvent): boolean => eventMatches(e, filters);
    res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json' });
    res.flushHeaders();
    const send = (e: EngineEvent): void => {
      if (!match(e)) return;
      res.write(JSON.stringify(withLegacyFields(e)) + '\n');
    };
    // moby replays its buffer when either bound is given; `until` is inclusive.
    if (sinceNs !== undefined || untilNs !== undefined) {
      for (const e of deps.ctx.events.recent()) {
        const t = BigInt(e.timeNano);
        if (t >= (sinceNs ?? 0n) && (untilNs === undefined || t <= untilNs)) send(e);
      }
    }
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    if (untilNs !== undefined && untilNs <= nowNs) {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const unsubscribe = deps.ctx.events.subscribe(send);
      const timer = untilNs !== undefined ? setTimeout(finish, Number((untilNs - nowNs) / 1_000_000n)) : undefined;
      function finish(): void {
        unsubscribe();
        if (timer) clearTimeout(timer);
        res?.end();
        resolve();
      }
      c.signal.addEventListener('abort', finish, { once: true });
    });
  });
}

function eventMatches(e: EngineEvent, filters: Map<string, string[]>): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const values = filters.get(key);
    return !values || values.length === 0 || values.some(pred);
  };
  const attrs = e.Actor.Attributes;
  return (
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any('container', (v) => e.Type === 'container' && (e.Actor.ID.startsWith(v) || attrs['name'] === v)) &&
    any('image', (v) => attrs['image'] === v || e.Actor.ID === v || attrs['name'] === v) &&
    // dockerd: every label filter must match.
    (filters.get('label') ?? []).every((v) => {
      const eq = v.indexOf('=');
      return eq < 0 ? v in attrs : attrs[v.slice(0, eq)] === v.slice(eq + 1);
    })
  );
}

/** Older clients read status/id/from at the top level. */
function withLegacyFields(e: EngineEvent): Record<string, unknown> {
  if (e.Type !== 'container' && e.Type !== 'image') return { ...e };
  return { status: e.Action, id: e.Actor.ID, from: e.Actor.Attributes['image'], ...e };
}

function versionBody(deps: SystemRouteDeps): Record<string, unknown> {
  const f = deps.facts;
  const details = {
    ApiVersion: API_VERSION,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    BuildTime: '',
    Experimental: 'false',
    GitCommit: 'berth',
    GoVersion: `node${process.versions.node}`,
    KernelVersion: f.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  const components: Record<string, unknown>[] = [{ Name: 'Engine', Version: BERTH_VERSION, Details: details }];
  for (const [name, v] of Object.entries(f.runtimeVersions)) {
    components.push({ Name: name, Version: v.replace(/^[^0-9]*/, '').split(' ')[0] ?? v, Details: { GitCommit: '' } });
  }
  components.push({ Name: 'docker-init', Version: f.initVersion.replace(/^tini version /, '').split(' ')[0] ?? '', Details: { GitCommit: '' } });
  return {
    Platform: { Name: 'Berth Engine' },
    Components: components,
    Version: BERTH_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: 'berth',
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: details.Arch,
    KernelVersion: f.kernelVersion,
    BuildTime: '',
  };
}

function infoBody(deps: SystemRouteDeps): Record<string, unknown> {
  const { ctx, facts: f } = deps;
  const counts = containerCounts(ctx);
  const s = ctx.settings;
  const runtimes: Record<string, unknown> = {};
  for (const name of s.runtimeNames) runtimes[name] = { path: name };
  return {
    ID: deps.daemonId,
    Containers: counts.total,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: imageCount(ctx),
    Driver: 'overlay2',
    DriverStatus: [
      ['Backing Filesystem', f.backingFilesystem],
      ['Supports d_type', 'true'],
      ['Using metacopy', 'false'],
      ['Native Overlay Diff', 'true'],
      ['userxattr', 'false'],
    ],
    Plugins: { Volume: ['local'], Network: ctx.settings.bridge === 'none' ? ['host', 'null'] : ['bridge', 'host', 'null'], Authorization: null, Log: ['fluentd', 'gelf', 'journald', 'json-file', 'local', 'syslog'] },
    MemoryLimit: true,
    SwapLimit: f.cgroupVersion === '2',
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: s.debug,
    NFd: 0,
    OomKillDisable: f.cgroupVersion === '1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: s.logDriver,
    CgroupDriver: 'cgroupfs',
    CgroupVersion: f.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: f.kernelVersion,
    OperatingSystem: f.operatingSystem,
    OSVersion: f.osVersion,
    OSType: 'linux',
    Architecture: f.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'],
      IndexConfigs: { 'docker.io': { Name: 'docker.io', Mirrors: [], Secure: true, Official: true } },
      Mirrors: null,
    },
    NCPU: f.ncpu,
    MemTotal: f.memTotal,
    GenericResources: null,
    DockerRootDir: s.dataRoot,
    HttpProxy: '',
    HttpsProxy: '',
    NoProxy: '',
    Name: f.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: BERTH_VERSION,
    Runtimes: runtimes,
    DefaultRuntime: s.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: s.liveRestore,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: f.runtimeVersions['runc']?.replace(/^runc version /, '') ?? '' },
    InitCommit: { ID: f.initVersion.replace(/^tini version /, '') },
    SecurityOptions: ['name=seccomp,profile=builtin', ...(s.userns ? ['name=userns'] : []), ...(f.cgroupVersion === '2' ? ['name=cgroupns'] : [])],
    CDISpecDirs: [],
    Containerd: null,
    Warnings: [...deps.warnings],
  };
}

export function newDaemonId(): string {
  return randomUUID();
}
