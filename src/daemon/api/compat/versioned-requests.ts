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
