import { FlagError, type FlagSpec } from './flag-parser.js';

export const formatFlag = (short?: string): FlagSpec => ({
  long: 'format',
  ...(short ? { short } : {}),
  kind: 'string',
  description: "Format output using a custom template:\n'table': Print output in table format with column headers (default)\n'json': Print in JSON format\n'TEMPLATE': Print output using the given Go template",
});

export const filterFlag: FlagSpec = { long: 'filter', short: 'f', kind: 'list', valueName: 'filter', description: 'Filter output based on conditions provided' };

/** `key=value` filter flags → the API's filters map. */
export function parseFilters(values: readonly string[]): Record<string, string[]> {
  const filters: Record<string, string[]> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) throw new FlagError(`invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = v.slice(0, eq).trim().toLowerCase();
    filters[key] = [...(filters[key] ?? []), v.slice(eq + 1)];
  }
  return filters;
}

/** `key=value` flag values (labels, options) → a map; a bare `key` maps to "". */
export function parseKeyValues(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of entries) {
    const eq = kv.indexOf('=');
    if (eq < 0) out[kv] = '';
    else out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
