import { createHash } from 'node:crypto';
import type { ComposeProject, ServiceConfig } from './project-model.js';

/** Label keys exactly as docker compose v2 writes them, so docker compose, docker-compose and berth compose see one project. */
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
} as const;

/** Container name as compose v2 (`-` separators; v1 used `_`). */
export const containerName = (project: string, service: string, n = 1): string => `${project}-${service}-${n}`;

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * The service's config hash: sha256 of its resolved model as canonical JSON. Like compose v2 it covers the
 * service definition only (not the image content), so an unchanged file never recreates. Not byte-equal to v2's.
 */
export function configHash(service: ServiceConfig): string {
  return createHash('sha256').update(JSON.stringify(canonical(service))).digest('hex');
}

export function containerLabels(project: ComposeProject, service: string, hash: string, imageId: string): Record<string, string> {
  const s = project.services[service];
  return {
    ...s?.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service,
    [LABEL.number]: '1',
    [LABEL.oneoff]: 'False',
    [LABEL.configHash]: hash,
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(','),
    // compose v2: "<service>:<condition>:<restart>" for each dependency
    [LABEL.dependsOn]: (s?.depends_on ?? []).map((d) => `${d}:${s?.depends_on_conditions?.[d] ?? 'service_started'}:false`).join(','),
    [LABEL.image]: imageId,
  };
}
