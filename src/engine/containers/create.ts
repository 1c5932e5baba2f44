import { mkdir, rm, rmdir } from 'node:fs/promises';
import { conflict, internal, invalidArgument, notFound } from '../../errors/engine-error.js';
import { enginePaths, type EngineContext, type EngineSettings } from '../engine-context.js';
import { mountRootfs, unmountRootfs } from './rootfs.js';
import { checkWorkingDir } from './working-dir.js';
import { findImage, imageChainIds } from '../images/resolve.js';
import { findContainer, saveNewContainer } from './container-repo.js';
import {
  initialState,
  nowRfc3339Nano,
  type ContainerConfig,
  type ContainerRecord,
  type HostConfig,
} from './container-model.js';
import { newContainerId, normaliseContainerName, randomContainerName } from './names.js';
import { hostHostnameForContainer, writeEtcFiles } from './etc-files.js';
import { effectiveNetworkMode } from './network-mode.js';
import { findNetwork } from '../network/network-repo.js';
import { resolveEndpointConfigs, type EndpointRequest } from '../network/user-endpoints.js';
import { requestedMacs } from '../network/endpoint-macs.js';
import type { ContainerSupervisor } from './supervisor.js';
import { maskedPaths, mergeConfigEnv, readonlyPaths } from './oci-spec.js';
import type { ImageRunConfig } from '../../images/image-config.js';
import { parseSecurityOpts } from '../security/security-opts.js';
import { resolveContainerMounts } from '../volumes/resolve-mounts.js';
import { removeAnonymousVolumes } from '../volumes/release-mounts.js';
import { adaptResources } from './resources.js';
import { mergeLogConfig, validateLogConfig } from './log-config.js';
import { formatPlatform, parsePlatform } from '../../registry/client/manifest-types.js';
import { validateUsernsHostConfig } from '../security/userns-remap.js';
import { remapContainerFiles } from '../security/userns-container.js';
import { defaultCgroupnsMode, validateNamespaceModes } from './namespace-modes.js';
import { checkStorageOpt } from './storage-opt.js';

export interface CreateContainerOptions {
  readonly name?: string;
  readonly config: Partial<ContainerConfig>;
  readonly hostConfig: Partial<HostConfig>;
  /** NetworkingConfig.EndpointsConfig, keyed by network name or id. */
  readonly endpointsConfig?: Readonly<Record<string, EndpointRequest>>;
  /** ?platform (os/arch[/variant]): the local image must be of that platform. */
  readonly platform?: string;
}

export interface CreateContainerResult {
  Id: string;
  Warnings: string[];
}

/** POST /containers/create: validates, merges the image's defaults, writes the record and the container dir. */
export async function createContainer(sup: ContainerSupervisor, opts: CreateContainerOptions): Promise<CreateContainerResult> {
  const ctx = sup.ctx;
  const warnings: string[] = [];
  const imageRef = opts.config.Image ?? '';
  if (imageRef === '') throw invalidArgument('No image specified'); // wording of Docker's config validation
  const hostConfig = withHostConfigDefaults(opts.hostConfig, ctx.settings);
  validateHostConfig(hostConfig, ctx.settings.runtimeNames);
  validateLogConfig(hostConfig.LogConfig);
  validateUsernsHostConfig(ctx.settings.userns, hostConfig);
  validateNamespaceModes(ctx.db, hostConfig, opts.config);
  warnings.push(...(await adaptResources(hostConfig)));
  const networkMode = effectiveNetworkMode(hostConfig.NetworkMode, ctx.settings.bridge, (ref) => findNetwork(ctx.db, ref) !== undefined);
  // moby allocateNetwork: a container with Config.NetworkDisabled joins no network (its NetworkMode stays as sent).
  if (opts.config.NetworkDisabled === true && (networkMode.mode === 'bridge' || networkMode.mode === 'bridge-as-none')) networkMode.mode = 'disabled';
  const endpoints = resolveEndpointConfigs(ctx, hostConfig.NetworkMode, networkMode.mode, opts.endpointsConfig ?? {});
  const macAddresses = requestedMacs(ctx.db, {
    networkMode: hostConfig.NetworkMode,
    effectiveMode: networkMode.mode,
    containerWide: opts.config.MacAddress,
    endpoints: opts.endpointsConfig ?? {},
  });

  let name: string;
  if (opts.name !== undefined && opts.name !== '') {
    name = normaliseContainerName(opts.name);
    const existing = findContainerByExactName(sup, name);
    if (existing) throw nameConflict(name, existing);
  } else {
    name = uniqueRandomName(sup);
  }

  const image = findImage(ctx, imageRef);
  if (!image) throw notFound(`No such image: ${imageRef}`);
  if (opts.platform !== undefined) {
    const want = parsePlatform(opts.platform);
    const have = { os: image.config.os, architecture: image.config.architecture, ...(image.config.variant ? { variant: image.config.variant } : {}) };
    if (want.os !== have.os || want.architecture !== have.architecture || (want.variant !== undefined && want.variant !== have.variant)) {
      // dockerd 20.10 daemon/images GetImage: 404, so the docker CLI goes on to pull that platform.
      throw notFound(`image with reference ${imageRef} was found but does not match the specified platform: wanted ${formatPlatform(want)}, actual: ${formatPlatform(have)}`);
    }
  }
  const config = mergeImageConfig(opts.config, image.config.config ?? {}, imageRef);
  if ((config.Entrypoint ?? []).length === 0 && (config.Cmd ?? []).length === 0) throw invalidArgument('No command specified'); // dockerd 20.10's text
  await checkStorageOpt(hostConfig['StorageOpt'] as Record<string, string> | null | undefined, ctx.settings.dataRoot);

  const mounts = await resolveContainerMounts(ctx, config, hostConfig);
  const id = newContainerId();
  if (config.Hostname === '') config.Hostname = networkMode.mode === 'host' ? hostHostnameForContainer() : id.slice(0, 12);
  const containerDir = enginePaths.containerDir(ctx.settings, id);
  const bundleDir = enginePaths.bundleDir(ctx.settings, id);
  const record: ContainerRecord = {
    id,
    name,
    imageId: image.id,
    imageRef,
    created: nowRfc3339Nano(),
    config,
    hostConfig,
    state: initialState(),
    runtime: {
      runtime: hostConfig.Runtime,
      containerDir,
      rwDir: `${containerDir}/rw`,
      bundleDir,
      rootfs: `${bundleDir}/rootfs`,
      // dockerd's inspect LogPath: the json-file's path, empty for the other drivers.
      logPath: hostConfig.LogConfig.Type === 'json-file' ? `${containerDir}/${id}-json.log` : '',
      hostnamePath: `${containerDir}/hostname`,
      hostsPath: `${containerDir}/hosts`,
      resolvConfPath: `${containerDir}/resolv.conf`,
      chainIds: await imageChainIds(ctx, image),
      restartCount: 0,
      conmonPid: 0,
      stoppedByUser: false,
      effectiveNetworkMode: networkMode.mode,
      ...(endpoints.configs ? { endpointConfigs: endpoints.configs } : {}),
      ...(macAddresses ? { macAddresses } : {}),
      ...(mounts.length > 0 ? { mounts } : {}),
    },
  };

  try {
    await mkdir(containerDir, { recursive: true, mode: 0o710 });
    await writeEtcFiles(record.runtime, {
      hostname: config.Hostname,
      domainname: config.Domainname,
      networkMode: networkMode.mode,
      ...(endpoints.dnsServer !== undefined ? { dnsServer: endpoints.dnsServer } : {}),
      extraHosts: hostConfig.ExtraHosts ?? [],
      dns: hostConfig.Dns ?? [],
      dnsSearch: hostConfig.DnsSearch ?? [],
      dnsOptions: hostConfig.DnsOptions ?? [],
    });
    await ctx.snapshots.prepareWritable(record.runtime.rwDir, record.runtime.chainIds);
    if (config.WorkingDir !== '') await checkWorkingDirInRootfs(ctx, record);
    if (ctx.settings.userns) await remapContainerFiles(record.runtime, ctx.settings.userns);
    saveNewContainer(ctx.db, record);
  } catch (err) {
    await ctx.snapshots.removeWritable(record.runtime.rwDir).catch(() => undefined);
    await rm(containerDir, { recursive: true, force: true });
    await removeAnonymousVolumes(ctx, mounts);
    if (err instanceof Error && /UNIQUE constraint failed: containers.name/.test(err.message)) {
      const existing = findContainerByExactName(sup, name);
      throw existing ? nameConflict(name, existing) : conflict(`Conflict. The container name "/${name}" is already in use`);
    }
    throw err;
  }
  ctx.events.publish('container', 'create', id, { image: imageRef, name, ...config.Labels });
  return { Id: id, Warnings: warnings };
}

/** The rootfs mounted for a moment on a scratch point in the container dir, as dockerd mounts it at create. */
async function checkWorkingDirInRootfs(ctx: EngineContext, record: ContainerRecord): Promise<void> {
  const scratch = { ...record, runtime: { ...record.runtime, rootfs: `${record.runtime.containerDir}/create-rootfs` } };
  try {
    await mountRootfs(ctx, scratch);
    await checkWorkingDir(scratch.runtime.rootfs, record.config.WorkingDir);
  } finally {
    await unmountRootfs(scratch);
    await rmdir(scratch.runtime.rootfs).catch(() => undefined);
  }
}

function findContainerByExactName(sup: ContainerSupervisor, name: string): ContainerRecord | undefined {
  const c = findContainer(sup.ctx.db, `/${name}`);
  return c && c.name === name ? c : undefined;
}

function nameConflict(name: string, existing: ContainerRecord): Error {
  return conflict(
    `Conflict. The container name "/${name}" is already in use by container "${existing.id}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

function uniqueRandomName(sup: ContainerSupervisor): string {
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = randomContainerName(attempt);
    if (!findContainerByExactName(sup, candidate)) return candidate;
  }
  return newContainerId().slice(0, 12);
}


/** Docker's merge of the image's config into the container's (daemon/create.go merge). */
function mergeImageConfig(user: Partial<ContainerConfig>, image: ImageRunConfig, imageRef: string): ContainerConfig {
  const env = mergeConfigEnv(user.Env, image.Env);
  // Docker's merge: an empty (but given) entrypoint clears the image's; Cmd comes from the image only when neither is given.
  let entrypoint: string[] | null = user.Entrypoint ?? null;
  let cmd: string[] | null = user.Cmd ?? null;
  if (entrypoint === null || entrypoint.length === 0) {
    if (cmd === null || cmd.length === 0) cmd = image.Cmd ?? null;
    if (entrypoint === null) entrypoint = image.Entrypoint ?? null;
  }
  // dockerd mergeAndVerifyConfig resets [""] to nil only after the merge, so `--entrypoint ""` alone keeps the image's Cmd out.
  if (entrypoint !== null && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = null;
  const config: ContainerConfig = {
    Hostname: user.Hostname ?? '',
    Domainname: user.Domainname ?? '',
    User: user.User !== undefined && user.User !== '' ? user.User : (image.User ?? ''),
    AttachStdin: user.AttachStdin ?? false,
    AttachStdout: user.AttachStdout ?? false,
    AttachStderr: user.AttachStderr ?? false,
    Tty: user.Tty ?? false,
    OpenStdin: user.OpenStdin ?? false,
    StdinOnce: user.StdinOnce ?? false,
    Env: env,
    Cmd: cmd,
    Image: imageRef,
    Volumes: nonEmpty({ ...(image.Volumes ?? {}), ...(user.Volumes ?? {}) }),
    WorkingDir: user.WorkingDir !== undefined && user.WorkingDir !== '' ? user.WorkingDir : (image.WorkingDir ?? ''),
    Entrypoint: entrypoint,
    OnBuild: image.OnBuild ?? null,
    Labels: { ...(image.Labels ?? {}), ...(user.Labels ?? {}) },
  };
  // Stored as given (dockerd keeps them; ArgsEscaped and Shell mean nothing to a Linux container).
  if (user.ArgsEscaped === true) config.ArgsEscaped = true;
  if (user.NetworkDisabled === true) config.NetworkDisabled = true;
  const shell = user.Shell !== undefined && user.Shell !== null && user.Shell.length > 0 ? user.Shell : image.Shell;
  if (shell !== undefined && shell !== null && shell.length > 0) config.Shell = [...shell];
  const exposed = { ...(image.ExposedPorts ?? {}), ...(user.ExposedPorts ?? {}) };
  if (Object.keys(exposed).length > 0) config.ExposedPorts = exposed;
  const stopSignal = user.StopSignal ?? image.StopSignal;
  if (stopSignal !== undefined && stopSignal !== '') config.StopSignal = stopSignal;
  if (user.StopTimeout !== undefined && user.StopTimeout !== null) config.StopTimeout = user.StopTimeout;
  // Docker's Config.MacAddress is omitempty.
  if (user.MacAddress !== undefined && user.MacAddress !== '') config.MacAddress = user.MacAddress;
  const healthcheck = mergeHealthcheck(user.Healthcheck, image.Healthcheck);
  if (healthcheck !== undefined) config.Healthcheck = healthcheck;
  if (config.WorkingDir !== '' && !config.WorkingDir.startsWith('/')) {
    throw invalidArgument(`the working directory '${config.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  return config;
}

/**
 * Docker's field-by-field healthcheck merge: every field the user left empty
 * (no Test, zero durations or retries) comes from the image's HEALTHCHECK,
 * also under --no-healthcheck (Test ["NONE"] keeps the image's timings).
 */
function mergeHealthcheck(user: unknown, image: ImageRunConfig['Healthcheck']): unknown {
  if (user === undefined || user === null) return image ?? user ?? undefined;
  if (image === undefined || image === null || typeof user !== 'object') return user;
  const merged = { ...(user as Record<string, unknown>) };
  const test = merged['Test'];
  if (!Array.isArray(test) || test.length === 0) merged['Test'] = image.Test;
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const v = merged[key];
    if ((v === undefined || v === null || v === 0) && image[key] !== undefined) merged[key] = image[key];
    // Docker's HealthConfig fields are omitempty: zeros never show in inspect.
    if (merged[key] === 0 || merged[key] === null) delete merged[key];
  }
  return merged;
}

/** Resource fields Docker always reports in HostConfig, with its zero values (a list the client did not send stays null). */
const resourceDefaults = {
  CpuShares: 0,
  Memory: 0,
  NanoCpus: 0,
  CgroupParent: '',
  BlkioWeight: 0,
  BlkioWeightDevice: null,
  BlkioDeviceReadBps: null,
  BlkioDeviceWriteBps: null,
  BlkioDeviceReadIOps: null,
  BlkioDeviceWriteIOps: null,
  CpuPeriod: 0,
  CpuQuota: 0,
  CpuRealtimePeriod: 0,
  CpuRealtimeRuntime: 0,
  CpusetCpus: '',
  CpusetMems: '',
  Devices: null,
  DeviceCgroupRules: null,
  DeviceRequests: null,
  MemoryReservation: 0,
  MemorySwap: 0,
  MemorySwappiness: null,
  OomKillDisable: false,
  PidsLimit: null,
  Ulimits: null,
  CpuCount: 0,
  CpuPercent: 0,
  IOMaximumIOps: 0,
  IOMaximumBandwidth: 0,
};

function withHostConfigDefaults(
  h: Partial<HostConfig>,
  settings: Pick<EngineSettings, 'logDriver' | 'logOpts' | 'defaultRuntime' | 'defaultIpcMode' | 'defaultCgroupnsMode'>,
): HostConfig {
  const restart = h.RestartPolicy ?? { Name: 'no', MaximumRetryCount: 0 };
  const { Init, ...given } = h;
  const filled: HostConfig = {
    ...resourceDefaults,
    ...given,
    Binds: h.Binds ?? null,
    ContainerIDFile: h.ContainerIDFile ?? '',
    LogConfig: mergeLogConfig(h.LogConfig, settings),
    NetworkMode: h.NetworkMode === undefined || h.NetworkMode === '' || h.NetworkMode === 'default' ? 'bridge' : h.NetworkMode,
    PortBindings: h.PortBindings ?? null,
    RestartPolicy: { Name: restart.Name === '' ? 'no' : restart.Name, MaximumRetryCount: restart.MaximumRetryCount ?? 0 },
    AutoRemove: h.AutoRemove ?? false,
    VolumeDriver: h.VolumeDriver ?? '',
    VolumesFrom: h.VolumesFrom ?? null,
    ConsoleSize: h.ConsoleSize ?? [0, 0],
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    CgroupnsMode: h.CgroupnsMode || (settings.defaultCgroupnsMode ?? defaultCgroupnsMode()),
    Dns: h.Dns ?? null,
    DnsOptions: h.DnsOptions ?? null,
    DnsSearch: h.DnsSearch ?? null,
    ExtraHosts: h.ExtraHosts ?? null,
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode || (settings.defaultIpcMode ?? 'private'),
    Cgroup: h.Cgroup ?? '',
    Links: h.Links ?? null,
    OomScoreAdj: h.OomScoreAdj ?? 0,
    PidMode: h.PidMode ?? '',
    Privileged: h.Privileged ?? false,
    PublishAllPorts: h.PublishAllPorts ?? false,
    ReadonlyRootfs: h.ReadonlyRootfs ?? false,
    SecurityOpt: h.SecurityOpt ?? null,
    UTSMode: h.UTSMode ?? '',
    UsernsMode: h.UsernsMode ?? '',
    ShmSize: h.ShmSize !== undefined && h.ShmSize > 0 ? h.ShmSize : 67108864,
    Runtime: h.Runtime !== undefined && h.Runtime !== '' ? h.Runtime : settings.defaultRuntime,
    Isolation: h.Isolation ?? '',
    // moby create: Docker's default lists only when the client sent none (a given list replaces them).
    MaskedPaths: h.MaskedPaths ?? (h.Privileged === true ? null : [...maskedPaths]),
    ReadonlyPaths: h.ReadonlyPaths ?? (h.Privileged === true ? null : [...readonlyPaths]),
  };
  const labelOpts = generatedLabelOpts(filled);
  if (labelOpts.length > 0) filled.SecurityOpt = [...(filled.SecurityOpt ?? []), ...labelOpts];
  // Docker reports Init only when the client set it.
  if (typeof Init === 'boolean') filled.Init = Init;
  // dockerd adaptContainerSettings: a pids limit of 0 or less means unlimited and is stored as unset.
  if (typeof filled['PidsLimit'] === 'number' && filled['PidsLimit'] <= 0) filled['PidsLimit'] = null;
  // dockerd stores the CLI's "unset" swappiness (-1) as null.
  if (filled['MemorySwappiness'] === -1) filled['MemorySwappiness'] = null;
  return filled;
}

/**
 * dockerd generateSecurityOpt: a privileged container, or one sharing the host's
 * PID or IPC namespace, gets "label=disable" unless the client gave a label option.
 */
function generatedLabelOpts(h: HostConfig): string[] {
  if ((h.SecurityOpt ?? []).some((o) => o.split('=')[0] === 'label')) return [];
  return h.Privileged || h.PidMode === 'host' || h.IpcMode === 'host' ? ['label=disable'] : [];
}

function validateHostConfig(h: HostConfig, runtimes: readonly string[]): void {
  parseSecurityOpts(h.SecurityOpt); // Docker refuses a bad --security-opt at create
  if (!runtimes.includes(h.Runtime)) throw invalidArgument(`Unknown runtime specified ${h.Runtime}`); // dockerd verifyPlatformContainerSettings
  if (h.OomScoreAdj < -1000 || h.OomScoreAdj > 1000) throw invalidArgument(`Invalid value ${h.OomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  const policy = h.RestartPolicy.Name;
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(policy)) {
    throw invalidArgument(`invalid restart policy '${policy}'`); // dockerd 20.10's texts (runconfig validateRestartPolicy)
  }
  if (h.RestartPolicy.MaximumRetryCount < 0) throw invalidArgument('maximum retry count cannot be negative');
  if (policy !== 'on-failure' && h.RestartPolicy.MaximumRetryCount > 0) {
    throw invalidArgument(`maximum retry count cannot be used with restart policy '${policy}'`);
  }
  if (h.AutoRemove && policy !== 'no') throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  if (h.ShmSize < 0) throw invalidArgument('SHM size can not be less than 0');
  // dockerd verifyPlatformContainerSettings (a plain error: 500); any case of "default" is valid.
  if (h.Isolation !== '' && h.Isolation.toLowerCase() !== 'default') throw internal(`Invalid isolation: "${h.Isolation}" - linux only supports 'default'`);
}

/** Docker reports an empty map as null. */
function nonEmpty<T extends object>(value: T): T | null {
  return Object.keys(value).length > 0 ? value : null;
}
