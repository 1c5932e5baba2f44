import { ZERO_TIME, type ContainerRecord } from '../../../engine/containers/container-model.js';
import { networksWire, portListWire, portMapWire } from './container-network-wire.js';
import { mountsWire } from './mount-wire.js';

function command(c: ContainerRecord): { path: string; args: string[] } {
  // dockerd's Path/Args are the container's own command; --init exists only in the OCI spec.
  const argv = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  return { path: argv[0] ?? '', args: argv.slice(1) };
}

function networkSettings(c: ContainerRecord): Record<string, unknown> {
  const primary = c.runtime.network?.endpoints[0];
  return {
    Bridge: '',
    SandboxID: c.state.Running ? c.id : '',
    SandboxKey: c.runtime.network?.netnsPath ?? (c.state.Running && c.state.Pid > 0 ? `/proc/${c.state.Pid}/ns/net` : ''),
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portMapWire(c),
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: primary?.endpointId ?? '',
    Gateway: primary?.gateway ?? '',
    GlobalIPv6Address: primary?.ipv6 ?? '',
    GlobalIPv6PrefixLen: primary?.prefix6 ?? 0,
    IPAddress: primary?.ip ?? '',
    IPPrefixLen: primary?.prefix ?? 0,
    IPv6Gateway: primary?.gateway6 ?? '',
    MacAddress: primary?.mac ?? '',
    Networks: networksWire(c),
  };
}

/**
 * moby's container.HostConfig field order (the Go struct, with Resources embedded after Isolation),
 * so `docker inspect` prints HostConfig as dockerd does; fields it does not list keep their order at the end.
 */
const HOST_CONFIG_ORDER = [
  'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver', 'VolumesFrom',
  'CapAdd', 'CapDrop', 'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode',
  'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'StorageOpt', 'Tmpfs',
  'UTSMode', 'UsernsMode', 'ShmSize', 'Sysctls', 'Runtime', 'ConsoleSize', 'Annotations', 'Isolation', 'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight',
  'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota',
  'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory',
  'KernelMemoryTCP', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'OomKillDisable', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent',
  'IOMaximumIOps', 'IOMaximumBandwidth', 'Mounts', 'MaskedPaths', 'ReadonlyPaths', 'Init',
];
const HOST_CONFIG_RANK = new Map(HOST_CONFIG_ORDER.map((k, i) => [k, i]));

function hostConfigInGoOrder(hostConfig: object): Record<string, unknown> {
  const rank = (k: string): number => HOST_CONFIG_RANK.get(k) ?? HOST_CONFIG_ORDER.length;
  // Array.prototype.sort is stable: unlisted fields keep their order.
  return Object.fromEntries(Object.entries(hostConfig).sort(([a], [b]) => rank(a) - rank(b)));
}

/** GET /containers/{id}/json in Docker v28's shape; `execIds`: the container's live exec sessions. */
export function containerInspectWire(c: ContainerRecord, execIds: string[] | null = null): Record<string, unknown> {
  const { path, args } = command(c);
  const lower = c.runtime.chainIds.length > 0 ? c.runtime.chainIds.map((id) => `snapshots/${id.replace(/^sha256:/, '')}/fs`).reverse() : [];
  return {
    Id: c.id,
    Created: c.created,
    Path: path,
    Args: args,
    State: { ...c.state },
    Image: c.imageId,
    ResolvConfPath: c.runtime.resolvConfPath,
    HostnamePath: c.runtime.hostnamePath,
    HostsPath: c.runtime.hostsPath,
    // dockerd sets LogPath when the logger first starts: empty for a container never started.
    LogPath: c.state.StartedAt === ZERO_TIME || c.state.StartedAt === '' ? '' : c.runtime.logPath,
    Name: `/${c.name}`,
    RestartCount: c.runtime.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds,
    HostConfig: hostConfigInGoOrder(c.hostConfig),
    GraphDriver: {
      Data: {
        LowerDir: lower.join(':'),
        MergedDir: c.runtime.rootfs,
        UpperDir: `${c.runtime.rwDir}/upper`,
        WorkDir: `${c.runtime.rwDir}/work`,
      },
      Name: 'overlay2',
    },
    Mounts: mountsWire(c),
    Config: { ...c.config },
    NetworkSettings: networkSettings(c),
  };
}

/** Docker's human status line for /containers/json ("Up 3 seconds", "Exited (0) 2 minutes ago"). */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.state;
  // moby State.String(): a health check adds "(health: starting)", "(healthy)" or "(unhealthy)".
  const health = s.Health ? ` (${s.Health.Status === 'starting' ? 'health: starting' : s.Health.Status})` : '';
  if (s.Status === 'running') return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : health}`;
  if (s.Status === 'paused') return `Up ${humanDuration(now - Date.parse(s.StartedAt))} (Paused)`;
  if (s.Status === 'restarting') return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Status === 'created') return 'Created';
  if (s.FinishedAt.startsWith('0001-')) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/** One row of GET /containers/json. */
export function containerSummaryWire(c: ContainerRecord): Record<string, unknown> {
  const { path, args } = command(c);
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.imageRef,
    ImageID: c.imageId,
    // moby's container view quotes arguments that contain spaces
    Command: args.length > 0 ? `${path} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` : path,
    Created: Math.floor(Date.parse(c.created) / 1000),
    Ports: portListWire(c),
    Labels: c.config.Labels,
    State: c.state.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode },
    NetworkSettings: { Networks: networksWire(c) },
    Mounts: mountsWire(c),
  };
}
