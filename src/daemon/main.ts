import { builtInRotationWarning } from '../logging/log-options.js';
import { removeCgroupParent } from '../engine/containers/cgroup-parent.js';
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { parseDaemonArgs, daemonUsage } from './config/parse-daemon-args.js';
import { resolveDaemonConfig } from './config/load-daemon-json.js';
import type { DaemonConfig } from './config/daemon-config.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { openDatabase } from '../store/database.js';
import { FileContentStore } from '../content/file-content-store.js';
import { OverlaySnapshotter } from '../snapshots/overlay.js';
import { ConmonRuntime } from '../runtime/conmon-runtime.js';
import { NATIVE_EXEC_HELPER } from '../runtime/native-exec.js';
import { watchExitDir } from '../runtime/exit-files.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import { EventBus } from '../events/event-bus.js';
import { enginePaths, type EngineContext, type EngineSettings } from '../engine/engine-context.js';
import { ContainerSupervisor } from '../engine/containers/supervisor.js';
import { handleContainerExit, reconcileContainers } from '../engine/containers/exit-handler.js';
import { validateDaemonLogConfig } from '../engine/containers/log-config.js';
import { markStoppedByDaemon, restartContainersAtBoot } from '../engine/containers/restart-policy.js';
import { startHealthMonitors } from '../engine/containers/health-monitor.js';
import { stopRunning } from '../engine/containers/stop.js';
import { allContainers } from '../engine/containers/container-repo.js';
import { gatherHostFacts } from '../engine/system/system-info.js';
import { resolveUsernsRemap } from '../engine/security/userns-remap.js';
import { prepareRemappedRoots } from '../engine/security/userns-container.js';
import { NetworkController } from '../engine/network/network-controller.js';
import { registerNetworkController } from '../engine/network/container-network.js';
import { Router } from './api/router.js';
import { createApiServer, type ApiTlsOptions } from './api/server.js';
import { insecureTcpWarning, listenTcp, loadTlsMaterial } from './tls/tcp-listener.js';
import { registerSystemRoutes, BERTH_VERSION, newDaemonId } from './api/router/system.js';
import { registerContainerRoutes } from './api/router/containers.js';
import { registerExecRoutes } from './api/router/exec.js';
import { registerImageRoutes } from './api/router/images.js';
import { registerBuildRoutes } from './api/router/build.js';
import { registerRegistryRoutes } from './api/router/registry.js';
import { registerVolumeRoutes } from './api/router/volumes.js';
import { registerPluginRoutes } from './api/router/plugins.js';
import { registerNetworkRoutes } from './api/router/networks.js';
import { registerArchiveRoutes } from './api/router/archive.js';
import { registerSystemDfRoutes } from './api/router/system-df.js';
import { claimHostOwnership } from './host-ownership.js';
import { removeOrphanLayers } from '../engine/images/orphan-layers.js';

/** The composition root: reads flags and env, wires implementations, owns signals. */
async function main(): Promise<void> {
  const args = parseDaemonArgs(process.argv.slice(2));
  if (args.kind === 'help') {
    process.stdout.write(daemonUsage());
    return;
  }
  if (args.kind === 'version') {
    process.stdout.write(`Berth version ${BERTH_VERSION}\n`);
    return;
  }
  const config = resolveDaemonConfig(args, {
    env: process.env,
    readFile: (p) => readFileSync(p, 'utf8'),
    isExecutable: (p) => {
      try {
        accessSync(p, fsConstants.X_OK);
        return statSync(p).isFile();
      } catch {
        return false;
      }
    },
  });
  validateDaemonLogConfig(config.logDriver, config.logOpts);
  const log = createLogger(config.debug ? 'debug' : config.logLevel === 'fatal' ? 'error' : config.logLevel, (line) => process.stderr.write(line));
  await mkdir(config.dataRoot, { recursive: true, mode: 0o711 });
  await mkdir(config.execRoot, { recursive: true, mode: 0o700 });
  // Before anything is read, flushed or made: a second daemon on the same roots or bridge stops here.
  const ownership = claimHostOwnership(config);
  await claimPidfile(config.pidfile);
  const userns = await resolveUsernsRemap(config.usernsRemap);
  if (config.usernsRemap !== undefined && config.usernsRemap !== '' && !userns) log.warn('User namespaces: root cannot be remapped with itself; user namespaces are OFF');
  if (userns) log.info(`User namespaces: ID ranges will be mapped to subuid/subgid ranges of: ${userns.name.split(':')[0] ?? ''}`);

  const settings: EngineSettings = {
    dataRoot: userns ? await prepareRemappedRoots(config.dataRoot, config.execRoot, userns) : config.dataRoot,
    ...(userns ? { userns } : {}),
    execRoot: config.execRoot,
    logDriver: config.logDriver,
    logOpts: config.logOpts,
    defaultRuntime: config.defaultRuntime,
    runtimeNames: Object.keys(config.runtimes),
    initPath: config.initPath,
    liveRestore: config.liveRestore,
    bridge: config.bridge,
    debug: config.debug,
    registryMirrors: config.registryMirrors,
    insecureRegistries: config.insecureRegistries,
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    maxConcurrentUploads: config.maxConcurrentUploads,
    defaultIpcMode: config.defaultIpcMode,
    ...(config.defaultCgroupnsMode !== undefined ? { defaultCgroupnsMode: config.defaultCgroupnsMode } : {}),
  };
  await mkdir(enginePaths.exitDir(settings), { recursive: true });
  await mkdir(enginePaths.tmp(settings), { recursive: true });
  await rm(enginePaths.tmp(settings), { recursive: true, force: true });
  await mkdir(enginePaths.tmp(settings), { recursive: true });
  const runtimes = new Map<string, ContainerRuntime>();
  for (const [name, entry] of Object.entries(config.runtimes)) {
    runtimes.set(
      name,
      new ConmonRuntime({
        name,
        runtimePath: entry.path,
        runtimeRoot: enginePaths.runtimeRoot(settings, name),
        conmonPath: findConmon(),
        runtimeArgs: entry.runtimeArgs ?? [],
        log: (msg, fields) => log.debug(msg, fields),
        // berth-exec implements runc's exec only; BERTH_EXEC=runc (or "berth-exec": "runc") keeps conmon --exec + runc.
        ...(NATIVE_EXEC_HELPER !== undefined && basename(entry.path) === 'runc' && (process.env['BERTH_EXEC'] ?? config.execPath) !== 'runc'
          ? { execHelperPath: NATIVE_EXEC_HELPER }
          : {}),
      }),
    );
  }
  const ctx: EngineContext = {
    settings,
    db: openDatabase(enginePaths.database(settings)),
    content: await FileContentStore.open(enginePaths.content(settings)),
    snapshots: await OverlaySnapshotter.open(enginePaths.snapshots(settings)),
    runtimes,
    events: new EventBus(),
    log,
  };
  const sup = new ContainerSupervisor(ctx);
  const exitWatcher = watchExitDir(enginePaths.exitDir(settings), (id, code) => {
    handleContainerExit(sup, id, code).catch((err: unknown) => log.error('recording exit failed', { id, error: (err as Error).message }));
  });
  const network =
    config.bridge === 'none'
      ? undefined
      : new NetworkController(ctx, { bridge: config.bridge, bip: config.bip, mtu: config.mtu, iptables: config.iptables, liveRestore: config.liveRestore, icc: config.icc, userlandProxy: config.userlandProxy, ipForward: config.ipForward, fixedCidr: config.fixedCidr, addressPools: config.defaultAddressPools, ipv6: config.ipv6, fixedCidrV6: config.fixedCidrV6 });
  if (network) {
    registerNetworkController(ctx, network);
    await network.init();
  }
  await reconcileContainers(sup);
  // Nothing is in flight yet: layers no image or container needs (a failed or interrupted pull's) go now.
  await removeOrphanLayers(ctx, { unnamedBlobs: true }).catch((err: unknown) => log.warn('removing unreferenced layers failed', { error: (err as Error).message }));
  const stopHealthMonitors = startHealthMonitors(sup);
  await network?.reconcile();
  // After the network is reconciled: policy restarts connect fresh endpoints.
  await restartContainersAtBoot(sup, allContainers(ctx.db));

  const warnings: string[] = [];
  const rotationWarning = builtInRotationWarning(config.logDriver, config.logOpts);
  if (rotationWarning) warnings.push(rotationWarning);
  const router = new Router();
  registerSystemRoutes(router, { ctx, facts: await gatherHostFacts(ctx), daemonId: await daemonId(config), warnings });
  registerContainerRoutes(router, sup);
  registerExecRoutes(router, sup);
  registerImageRoutes(router, ctx);
  registerBuildRoutes(router, sup);
  registerRegistryRoutes(router, ctx);
  registerVolumeRoutes(router, ctx);
  registerPluginRoutes(router);
  registerNetworkRoutes(router, ctx);
  registerArchiveRoutes(router, sup);
  registerSystemDfRoutes(router, sup);
  const servers = await listenAll(config, createApiServer.bind(null, router, log), log, warnings);
  log.info('berthd started', { version: BERTH_VERSION, dataRoot: config.dataRoot, hosts: config.hosts });

  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info('shutting down', { signal });
    for (const s of servers) s.close();
    for (const s of servers) s.closeAllConnections();
    if (!config.liveRestore) await stopAllContainers(sup, config.shutdownTimeout, log);
    await network?.shutdown().catch((err: unknown) => log.warn('network cleanup failed', { error: (err as Error).message }));
    stopHealthMonitors();
    exitWatcher.close();
    await removeCgroupParent(config.execRoot);
    ctx.db.close();
    for (const host of config.hosts) if (host.startsWith('unix://')) await rm(host.slice('unix://'.length), { force: true });
    await rm(config.pidfile, { force: true });
    ownership.release();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function stopAllContainers(sup: ContainerSupervisor, shutdownTimeout: number, log: Logger): Promise<void> {
  const running = allContainers(sup.ctx.db).filter((c) => c.state.Running);
  await Promise.all(
    running.map((c) =>
      stopRunning(sup, c, { timeout: Math.min(c.config.StopTimeout ?? 10, shutdownTimeout) }).then(() => markStoppedByDaemon(sup, c.id)).catch((err: unknown) =>
        log.warn('stop at shutdown failed', { id: c.id, error: (err as Error).message }),
      ),
    ),
  );
}

async function claimPidfile(path: string): Promise<void> {
  const existing = await readFile(path, 'utf8').catch(() => '');
  const pid = Number(existing.trim());
  if (pid > 0 && pid !== process.pid) {
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`pid file found, ensure berthd is not running or delete ${path}`);
  }
  await writeFile(path, `${process.pid}`);
}

async function daemonId(config: DaemonConfig): Promise<string> {
  const path = `${config.dataRoot}/engine-id`;
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (existing !== '') return existing;
  const id = newDaemonId();
  await writeFile(path, id);
  return id;
}

function findConmon(): string {
  for (const p of ['/usr/bin/conmon', '/usr/local/bin/conmon', '/usr/libexec/podman/conmon']) {
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // try the next place
    }
  }
  return 'conmon';
}

async function listenAll(config: DaemonConfig, makeServer: (tls?: ApiTlsOptions) => Server, log: Logger, warnings: string[]): Promise<Server[]> {
  const servers: Server[] = [];
  for (const host of config.hosts) {
    const server = host.startsWith('tcp://') && config.tls.enabled ? makeServer(await loadTlsMaterial(config.tls)) : makeServer();
    if (host.startsWith('unix://')) {
      const path = host.slice('unix://'.length);
      await mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
      await rm(path, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
      await chmod(path, 0o660);
      const gid = groupId(config.group);
      if (gid !== undefined) await chown(path, 0, gid);
      else log.warn('socket group not found; socket is root-only', { group: config.group });
    } else if (host.startsWith('tcp://')) {
      await listenTcp(server, host);
      if (config.tls.enabled) log.info('API listen on TCP with mutual TLS', { host });
      else {
        const warning = insecureTcpWarning(host);
        log.warn(warning, { host });
        warnings.push(warning);
      }
    } else {
      throw new Error(`invalid host: ${host}`);
    }
    servers.push(server);
  }
  return servers;
}

function groupId(name: string): number | undefined {
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8' }).trim();
    const gid = Number(line.split(':')[2]);
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`berthd: ${(err as Error).message}\n`);
  process.exit(1);
});
