import type { RegistryStorage } from './registry-storage.js';

/** One result in Docker Hub's `/v1/search` shape. */
export interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

/**
 * Docker Hub's `GET /v1/search?q=&n=&page=` over the repository names (the
 * index is the repository list itself: always current, nothing to rebuild).
 */
export async function searchRepositories(storage: RegistryStorage, params: URLSearchParams): Promise<{ num_pages: number; num_results: number; page_size: number; page: number; query: string; results: SearchResult[] }> {
  const query = params.get('q') ?? '';
  const pageSize = Math.min(Math.max(Number(params.get('n')) || 25, 1), 100);
  const page = Math.max(Number(params.get('page')) || 1, 1);
  const terms = query.toLowerCase().split(/\s+/).filter((t) => t !== '');
  const matching = (await storage.repositories()).filter((name) => terms.every((t) => name.includes(t)));
  const results = matching.slice((page - 1) * pageSize, page * pageSize).map((name) => ({ name, description: '', star_count: 0, is_official: false, is_automated: false }));
  return { num_pages: Math.max(1, Math.ceil(matching.length / pageSize)), num_results: matching.length, page_size: pageSize, page, query, results };
}
