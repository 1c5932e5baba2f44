import { compareVersions } from '../versions.js';

/**
 * Request-side Engine API version differences (api-version-shapes.ts has the
 * response side): each function takes what the handler parsed and the
 * request's version, and names the moby router check it matches.
 */

const lessThan = (version: string, than: string): boolean => compareVersions(version, than) < 0;

/** POST /volumes/prune: before API 1.42 every unused volume went, named ones too (moby postVolumesPrune adds `all=true`). */
export function volumePruneFilters(filters: Map<string, string[]>, version: string): Map<string, string[]> {
  if (!lessThan(version, '1.42') || filters.has('all')) return filters;
  return new Map([...filters, ['all', ['true']]]);
}

/**
 * POST /containers/create: fields an older or newer API version does not
 * have are dropped before the engine sees them (moby postContainersCreate):
 * Healthcheck.StartInterval before 1.44, HostConfig.Annotations before 1.43,
 * HostConfig.KernelMemory from 1.42 on (removed; ignored there).
 */
export function containerCreateFields(config: Record<string, unknown>, hostConfig: Record<string, unknown> | undefined, version: string): void {
  const health = config['Healthcheck'];
  if (lessThan(version, '1.44') && typeof health === 'object' && health !== null) delete (health as Record<string, unknown>)['StartInterval'];
  if (hostConfig === undefined) return;
  if (lessThan(version, '1.43')) delete hostConfig['Annotations'];
  if (!lessThan(version, '1.42')) delete hostConfig['KernelMemory'];
}
