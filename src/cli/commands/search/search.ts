import type { CommandSpec } from '../../argv/command-spec.js';
import { tabFormat } from '../../format/tab-writer.js';
import { registryAuthFor } from '../login/docker-config.js';

interface SearchResult {
  name: string;
  description: string;
  star_count: number;
  is_official: boolean;
  is_automated: boolean;
}

export const searchCommand: CommandSpec = {
  path: ['search'],
  usage: '[OPTIONS] TERM',
  description: 'Search Docker Hub for images',
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'filter', short: 'f', kind: 'list', description: 'Filter output based on conditions provided' },
    { long: 'limit', kind: 'string', description: 'Max number of search results' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
  ],
  async run(ctx, flags, args) {
    const term = args[0] ?? '';
    const filters: Record<string, Record<string, boolean>> = {};
    for (const f of flags.list('filter')) {
      const i = f.indexOf('=');
      const key = i < 0 ? f : f.slice(0, i);
      (filters[key] ??= {})[i < 0 ? '' : f.slice(i + 1)] = true;
    }
    const limit = flags.string('limit');
    const results = await ctx.client().transport.json<SearchResult[]>('GET', '/images/search', {
      query: { term, ...(limit ? { limit } : {}), ...(Object.keys(filters).length > 0 ? { filters: JSON.stringify(filters) } : {}) },
      headers: { 'X-Registry-Auth': await registryAuthFor(ctx.env, term) },
    });
    const noTrunc = flags.bool('no-trunc');
    const lines = ['NAME\tDESCRIPTION\tSTARS\tOFFICIAL'];
    for (const r of results) {
      let desc = r.description.replace(/\n/g, ' ');
      if (!noTrunc && desc.length > 45) desc = `${desc.slice(0, 44)}…`;
      lines.push(`${r.name}\t${desc}\t${r.star_count}\t${r.is_official ? '[OK]' : ''}`);
    }
    ctx.out(tabFormat(lines.join('\n') + '\n'));
    return 0;
  },
};
