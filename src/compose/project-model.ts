/**
 * The typed compose project: what load-project.ts produces from YAML (interpolated, defaults applied,
 * references checked) and what the planner and `config` consume. Names are the compose file's keys.
 */
export interface ComposeProject {
  name: string;
  /** Absolute directory the project's relative paths resolve against (com.docker.compose.project.working_dir). */
  workingDir: string;
  /** Absolute paths of the compose files, in load order (com.docker.compose.project.config_files). */
  configFiles: string[];
  services: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
}

export interface ServiceConfig {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  entrypoint?: string[];
  /** Resolved: a null value means "unset, take it from nowhere" and is dropped from the container's Env. */
  environment: Record<string, string | null>;
  ports: PortMapping[];
  volumes: VolumeMount[];
  /** Network key → attachment options; every service is on at least one network. */
  networks: Record<string, { aliases: string[] }>;
  depends_on: string[];
  restart?: string;
  labels: Record<string, string>;
  working_dir?: string;
  user?: string;
  /** `container_name`: the container's name instead of `<project>-<service>-1`. */
  container_name?: string;
  /** depends_on's long form: what each dependency must reach before this service starts (service_started if absent). */
  depends_on_conditions?: Record<string, DependencyCondition>;
  /** `healthcheck` as the Engine API's Config.Healthcheck (durations in ns). */
  healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface PortMapping {
  target: number;
  published?: string;
  host_ip?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export type VolumeMount =
  | { type: 'volume'; source?: string; target: string; read_only: boolean }
  | { type: 'bind'; source: string; target: string; read_only: boolean };

export interface NetworkConfig {
  /** Engine name: `<project>_<key>` unless `name` is given. */
  name: string;
  driver?: string;
  labels: Record<string, string>;
}

export interface VolumeConfig {
  name: string;
  driver?: string;
  labels: Record<string, string>;
}
