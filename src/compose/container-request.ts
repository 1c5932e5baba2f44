import type { ContainerCreateRequest, RestartPolicy } from '../client/wire-types.js';
import type { ComposeProject, ServiceConfig } from './project-model.js';

function restartPolicy(restart: string | undefined): RestartPolicy | undefined {
  if (restart === undefined) return undefined;
  const [name = 'no', retries] = restart.split(':');
  return { Name: name as RestartPolicy['Name'], ...(retries !== undefined ? { MaximumRetryCount: Number(retries) } : {}) };
}

/** The image a service runs: its `image`, or `<project>-<service>` for a build without one (as compose v2). */
export function serviceImage(project: ComposeProject, name: string, s: ServiceConfig): string {
  return s.image ?? `${project.name}-${name}`;
}

/**
 * The Engine API create body for one service container, attached to its first network (the others are connected
 * after create, each with the service name as alias, as compose v2 does for daemons before API 1.44).
 */
export function containerRequest(project: ComposeProject, name: string, s: ServiceConfig, labels: Record<string, string>): ContainerCreateRequest {
  const env = Object.entries(s.environment)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`);
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of s.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  const binds = s.volumes.map((m) => {
    const source = m.type === 'bind' ? m.source : m.source !== undefined ? (project.volumes[m.source]?.name ?? m.source) : undefined;
    return source === undefined ? undefined : `${source}:${m.target}:${m.read_only ? 'ro' : 'rw'}`;
  }).filter((b): b is string => b !== undefined);
  const anonymous = s.volumes.filter((m) => m.type === 'volume' && m.source === undefined);
  const [firstKey] = Object.keys(s.networks);
  const first = firstKey !== undefined ? project.networks[firstKey] : undefined;
  const restart = restartPolicy(s.restart);
  return {
    Image: serviceImage(project, name, s),
    Labels: labels,
    Env: env,
    ...(s.command ? { Cmd: s.command } : {}),
    ...(s.entrypoint ? { Entrypoint: s.entrypoint } : {}),
    ...(s.working_dir ? { WorkingDir: s.working_dir } : {}),
    ...(s.user ? { User: s.user } : {}),
    ...(s.healthcheck ? { Healthcheck: s.healthcheck } : {}),
    ...(s.ports.length > 0 ? { ExposedPorts: exposed } : {}),
    ...(anonymous.length > 0 ? { Volumes: Object.fromEntries(anonymous.map((m) => [m.target, {}])) } : {}),
    HostConfig: {
      Binds: binds,
      PortBindings: bindings,
      ...(restart ? { RestartPolicy: restart } : {}),
      ...(first ? { NetworkMode: first.name } : {}),
    },
    ...(first && firstKey !== undefined
      ? { NetworkingConfig: { EndpointsConfig: { [first.name]: { Aliases: [name, ...(s.networks[firstKey]?.aliases ?? [])] } } } }
      : {}),
  };
}
