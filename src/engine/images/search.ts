import { EngineError, invalidArgument } from '../../errors/engine-error.js';
import { RegistryClient, type RegistryCredentials } from '../../registry/client/registry-client.js';
import { endpointFor } from '../../registry/client/registry-endpoint.js';
import { RegistryError } from '../../registry/client/registry-error.js';
import type { EngineContext } from '../engine-context.js';

/** One entry of GET /images/search, as Docker's registry.SearchResult. */
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export interface SearchOptions {
  readonly limit?: number;
  /** Docker's filters: stars, is-official, is-automated. */
  readonly filters: Record<string, Record<string, boolean> | string[]>;
  readonly credentials?: RegistryCredentials;
  readonly signal?: AbortSignal;
}

function filterValues(f: Record<string, boolean> | string[] | undefined): string[] {
  if (!f) return [];
  return Array.isArray(f) ? f : Object.keys(f).filter((k) => f[k]);
}

/**
 * Searches a registry's /v1/search index (Docker Hub's API). The term may
 * name the registry (`localhost:5000/busy`); results keep Docker's shape and
 * the filters are applied here, as the daemon does.
 */
export async function searchImages(ctx: EngineContext, term: string, options: SearchOptions): Promise<SearchResult[]> {
  const limit = options.limit ?? 25;
  if (limit < 1 || limit > 100) throw invalidArgument(`limit ${limit} is outside the range of [1, 100]`);
  const slash = term.indexOf('/');
  const first = slash < 0 ? '' : term.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const domain = hasDomain ? first : 'docker.io';
  const query = hasDomain ? term.slice(slash + 1) : term;
  const stars = filterValues(options.filters.stars).map(Number);
  const official = filterValues(options.filters['is-official']);
  const automated = filterValues(options.filters['is-automated']);
  for (const v of [...official, ...automated]) if (v !== 'true' && v !== 'false') throw invalidArgument(`invalid filter 'is-official=${v}'`);
  if (stars.some((n) => !Number.isInteger(n))) throw invalidArgument('invalid filter \'stars\'');
  const client = new RegistryClient(endpointFor(domain, { insecureRegistries: ctx.settings.insecureRegistries ?? [] }), options.credentials ?? {});
  let res: Response;
  try {
    res = await client.request('GET', `/v1/search?q=${encodeURIComponent(query)}&n=${limit}`, options.signal ? { signal: options.signal } : {});
  } catch (err) {
    throw new EngineError('internal', (err as Error).message);
  }
  if (!res.ok) throw new EngineError('internal', (await RegistryError.fromResponse(res, 'search')).message);
  const body = (await res.json()) as { results?: SearchResult[] };
  return (body.results ?? [])
    .filter((r) => stars.every((n) => r.star_count >= n))
    .filter((r) => official.every((v) => r.is_official === (v === 'true')))
    .filter((r) => automated.every((v) => r.is_automated === (v === 'true')))
    .slice(0, limit);
}
