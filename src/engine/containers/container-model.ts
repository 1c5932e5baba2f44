import type { ResolvedMount } from '../volumes/volume-model.js';

/**
 * The container as the engine keeps it. Field names follow Docker's Config,
 * HostConfig and State because those are the domain users think in; the
 * daemon's convert layer decides the exact wire shape.
 */
export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount: number;
}

export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, Record<string, never>>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Healthcheck?: unknown;
  ArgsEscaped?: boolean;
  Image: string;
  Volumes: Record<string, Record<string, never>> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
  Shell?: string[];
}

export interface HostConfig {
  Binds: string[] | null;
  ContainerIDFile: string;
  LogConfig: { Type: string; Config: Record<string, string> };
  NetworkMode: string;
  PortBindings: Record<string, unknown> | null;
  RestartPolicy: RestartPolicy;
  AutoRemove: boolean;
  VolumeDriver: string;
  VolumesFrom: string[] | null;
  ConsoleSize: [number, number];
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  CgroupnsMode: string;
  Dns: string[] | null;
  DnsOptions: string[] | null;
  DnsSearch: string[] | null;
  ExtraHosts: string[] | null;
  GroupAdd: string[] | null;
  IpcMode: string;
  Cgroup: string;
  Links: string[] | null;
  OomScoreAdj: number;
  PidMode: string;
  Privileged: boolean;
  PublishAllPorts: boolean;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
  UTSMode: string;
  UsernsMode: string;
  ShmSize: number;
  Runtime: string;
  Isolation: string;
  Init?: boolean | null;
  [key: string]: unknown;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  /** Present while the container has a health check (health-monitor.ts). */
  Health?: HealthState;
}

/** Docker's State.Health. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  /** The last five probes, oldest first. */
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

/** Facts about where the container lives on this host. */
export interface ContainerRuntimeFacts {
  runtime: string;
  containerDir: string;
  rwDir: string;
  bundleDir: string;
  rootfs: string;
  logPath: string;
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  /** Chain ids of the image's layers, bottom-most first. */
  chainIds: string[];
  restartCount: number;
  conmonPid: number;
  /** Set while a user-requested stop is in progress or done (restart policies honour it). */
  stoppedByUser: boolean;
  /** The effective network mode after what this build of Berth supports. */
  effectiveNetworkMode: string;
  /** Binds, volumes and tmpfs mounts resolved at create (engine/volumes/resolve-mounts.ts). */
  mounts?: ResolvedMount[];
  /** While running: the namespace and endpoints the network controller set up (src/engine/network). */
  network?: ContainerNetworkFacts;
  /** User-defined networks the container is on (NetworkingConfig at create, `network connect` later), keyed by network id. */
  endpointConfigs?: Record<string, EndpointConfig>;
  /**
   * Set by `network disconnect` from the network HostConfig.NetworkMode names (dockerd drops it from
   * NetworkSettings.Networks and keeps NetworkMode); cleared when it is connected again. Starts skip that network.
   */
  modeNetworkLeft?: boolean;
  /** EndpointsConfig.<net>.MacAddress by network id (engine/network/endpoint-macs.ts); Config.MacAddress covers the first endpoint otherwise. */
  macAddresses?: Record<string, string>;
}

export interface EndpointConfig {
  networkName: string;
  aliases: string[];
  /** Requested address (--ip); '' = any. */
  ipv4: string;
  /** IPAMConfig.LinkLocalIPs (--link-local-ip): extra addresses on the interface, IPv4 /16 and IPv6 /64 as dockerd. */
  linkLocalIPs?: string[];
}

export interface ContainerEndpointFacts {
  networkId: string;
  networkName: string;
  endpointId: string;
  bridge: string;
  hostIf: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  /** Interface inside the namespace; absent = eth0 (records written before user networks). */
  ifName?: string;
  /** IPv6 address, prefix length and gateway on an IPv6-enabled network. */
  ipv6?: string;
  prefix6?: number;
  gateway6?: string;
}

export interface PublishedPort {
  proto: 'tcp' | 'udp';
  containerPort: number;
  hostIp: string;
  hostPort: number;
}

export interface ContainerNetworkFacts {
  netnsPath: string;
  /** The namespace belongs to another container (`--network container:`): never removed by this one. */
  shared: boolean;
  endpoints: ContainerEndpointFacts[];
  ports: PublishedPort[];
  /** Environment of legacy `--link`s (ALIAS_PORT…, ALIAS_NAME, ALIAS_ENV_…), set at start, put before Config.Env. */
  linkEnv?: string[];
}

export interface ContainerRecord {
  id: string;
  name: string;
  imageId: string;
  imageRef: string;
  created: string;
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  runtime: ContainerRuntimeFacts;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** RFC3339 with nanoseconds, as Docker writes times. */
export function nowRfc3339Nano(): string {
  const d = new Date();
  const ns = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return d.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${ns}Z`);
}
