import type { LedgerEntry, LedgerTable } from './ledger-types.js';

/** `withPrefix('POST /x body ', {A: e})` → `{'POST /x body A': e}`: keeps long tables readable. */
export function withPrefix(prefix: string, rows: Readonly<Record<string, LedgerEntry>>): LedgerTable {
  return Object.fromEntries(Object.entries(rows).map(([k, v]) => [`${prefix}${k}`, v]));
}
