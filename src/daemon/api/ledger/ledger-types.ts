import type { ErrorCode } from '../../../errors/engine-error.js';

/**
 * The API field ledger: every endpoint, query parameter, header and request
 * body field of Docker's Engine API swagger (v1.41 and v1.50) in exactly one
 * of three states. There is no fourth: a field Berth neither honours nor
 * refuses is a defect (test/unit/api-field-ledger.test.ts fails on any
 * swagger field without an entry).
 *
 * Keys: `METHOD /path` (the swagger's template), then ` ?param`,
 * ` header Name` or ` body A.B[].C` (`[]` an array element, `{}` a map value).
 * An operation or field marked refused covers everything beneath it.
 */
export type LedgerEntry =
  /** Honoured as dockerd honours it; `test` is the repo path of the test that proves it and mentions `evidence`. */
  | { readonly state: 'implemented'; readonly test: string; readonly evidence: string }
  /**
   * Berth cannot honour it: a request that sets it to anything but a value
   * meaning "not asked for" gets this error before any object is created.
   * Those values are absent and null, plus `defaults` when given, else the
   * zero values ("", 0, false, [], an object of zero values; for a query
   * parameter also "0", "false", "[]", "{}", "null"). `message` is the text the client sees. A refused operation is
   * answered with it when no route serves the operation.
   */
  | { readonly state: 'refused'; readonly code: ErrorCode; readonly message: string; readonly defaults?: readonly unknown[] }
  /** Accepted and not acted on, exactly as dockerd does; `dockerd` says what dockerd does with it. */
  | { readonly state: 'ignored'; readonly dockerd: string };

export type LedgerTable = Readonly<Record<string, LedgerEntry>>;

/** `evidence` defaults to the key's last name (the field or parameter). */
export const implemented = (test: string, evidence = ''): LedgerEntry => ({ state: 'implemented', test, evidence });
/** `defaults`: the values that mean "not asked for" when they are not the zero values (e.g. builder version "1", EnableIPv4 true). */
export const refused = (code: ErrorCode, message: string, defaults?: readonly unknown[]): LedgerEntry =>
  defaults ? { state: 'refused', code, message, defaults } : { state: 'refused', code, message };
export const ignoredAsDockerd = (dockerd: string): LedgerEntry => ({ state: 'ignored', dockerd });

/** The field or parameter a key names: `POST /x body A.B[].C` → `C`, `GET /x ?all` → `all`. */
export function leafName(key: string): string {
  const m = /(?: \?| header | body )(.+)$/.exec(key);
  const tail = m?.[1] ?? key;
  return (tail.split('.').pop() ?? tail).replace(/[[\]{}]/g, '');
}
