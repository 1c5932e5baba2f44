import { EngineError } from '../../../errors/engine-error.js';
import { fieldLedger } from './field-ledger.js';
import type { LedgerEntry } from './ledger-types.js';

type Refused = Extract<LedgerEntry, { state: 'refused' }>;

export interface OperationRule {
  readonly method: string;
  readonly pattern: RegExp;
  readonly key: string;
  readonly refusedOperation: Refused | undefined;
  readonly refusedQuery: ReadonlyArray<readonly [string, Refused]>;
  readonly refusedBody: ReadonlyArray<readonly [string[], Refused]>;
}

const asRefused = (e: LedgerEntry | undefined): Refused | undefined => (e?.state === 'refused' ? e : undefined);

/** Per operation of the ledger: its path as a pattern and its refused parameters and fields. */
const rules: readonly OperationRule[] = (() => {
  const ops = [...fieldLedger.keys()].filter((k) => /^\S+ \S+$/.test(k));
  return ops.map((key) => {
    const [method = '', template = ''] = key.split(' ');
    const source = template
      .split('/')
      .map((seg) => (/^\{.+\}$/.test(seg) ? (seg === '{name}' ? '.+?' : '[^/]+') : seg.replace(/[.+?^$()|[\]\\]/g, '\\$&')))
      .join('/');
    const refusedQuery: Array<readonly [string, Refused]> = [];
    const refusedBody: Array<readonly [string[], Refused]> = [];
    for (const [k, e] of fieldLedger) {
      const r = asRefused(e);
      if (!r) continue;
      if (k.startsWith(`${key} ?`)) refusedQuery.push([k.slice(key.length + 2), r]);
      else if (k.startsWith(`${key} body `)) refusedBody.push([k.slice(key.length + 6).split('.'), r]);
    }
    return { method, pattern: new RegExp(`^${source}/?$`), key, refusedOperation: asRefused(fieldLedger.get(key)), refusedQuery, refusedBody };
  });
})();

/** The ledger operation a request is for (`POST /containers/create`), if the swagger has it. */
export function ledgerOperationOf(method: string, path: string): OperationRule | undefined {
  // A literal segment beats a parameter: /images/json is not /images/{name}/json.
  const candidates = rules.filter((r) => r.method === method && r.pattern.test(path));
  return candidates.sort((a, b) => literalLength(b.key) - literalLength(a.key))[0];
}

const literalLength = (key: string): number => key.replace(/\{[^}]+\}/g, '').length;

const zeroQueryValues = new Set(['', '0', 'false', 'False', 'FALSE', '[]', '{}', 'null']);

/** The refusal for a request's query parameters, or for an operation no route serves. */
export function queryRefusal(op: OperationRule | undefined, query: URLSearchParams, routed: boolean): EngineError | undefined {
  if (!op) return undefined;
  if (!routed && op.refusedOperation) return errorOf(op.refusedOperation);
  for (const [name, r] of op.refusedQuery) {
    for (const v of query.getAll(name)) {
      if (r.defaults ? !r.defaults.includes(v) : !zeroQueryValues.has(v)) return errorOf(r);
    }
  }
  return undefined;
}

/**
 * Throws the ledger's error when a JSON body sets a refused field to anything
 * but its zero value. Call it right after parsing, before anything is created.
 */
export function refuseUnsupportedFields(opKey: string, body: unknown): void {
  const op = rules.find((r) => r.key === opKey);
  if (!op) throw new Error(`no ledger operation ${opKey}`);
  for (const [path, r] of op.refusedBody) {
    const asked = (v: unknown): boolean => v !== undefined && v !== null && (r.defaults ? !r.defaults.includes(v) : isSet(v));
    if (valuesAt(body, path).some(asked)) throw errorOf(r);
  }
}

const requestOperations = new WeakMap<object, string>();

/** Remembers which ledger operation a request is, so reading its JSON body can check it. */
export function bindLedgerOperation(req: object, opKey: string): void {
  requestOperations.set(req, opKey);
}

/** refuseUnsupportedFields for the operation bound to `req` (no-op for a request the ledger does not know). */
export function refuseUnsupportedBody(req: object, body: unknown): void {
  const opKey = requestOperations.get(req);
  if (opKey !== undefined) refuseUnsupportedFields(opKey, body);
}

function errorOf(r: Refused): EngineError {
  return new EngineError(r.code, r.message);
}

/** The values at a ledger path (`A`, `B[]`, `C{}` segments) inside a parsed JSON body. */
function valuesAt(root: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [root];
  for (const seg of path) {
    const m = /^([^[{]+)((?:\[\]|\{\})*)$/.exec(seg);
    const name = m?.[1] ?? seg;
    const suffix = m?.[2] ?? '';
    let next: unknown[] = [];
    for (const v of current) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) next.push((v as Record<string, unknown>)[name]);
    }
    for (const s of suffix.match(/\[\]|\{\}/g) ?? []) {
      next = next.flatMap((v) => (s === '[]' ? (Array.isArray(v) ? (v as unknown[]) : []) : v !== null && typeof v === 'object' ? Object.values(v) : []));
    }
    current = next;
  }
  return current;
}

function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v).some(isSet);
  return true;
}
