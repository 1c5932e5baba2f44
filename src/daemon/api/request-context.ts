import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../errors/engine-error.js';
import { refuseUnsupportedBody } from './ledger/refusal-check.js';

/**
 * One API request as a handler sees it. Exactly one of `res` (ordinary
 * request) or `upgradeSocket` (the client asked for `Upgrade: tcp`) is set.
 */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse | undefined;
  readonly upgradeSocket: Duplex | undefined;
  /** Bytes already read past the upgrade request's headers. */
  readonly upgradeHead: Buffer | undefined;
  readonly method: string;
  /** Path without the /v1.xx prefix. */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The API version the client asked for (path prefix) or our current one. */
  readonly apiVersion: string;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

const MAX_JSON_BODY = 10 * 1024 * 1024;

/** Reads and parses a JSON body (an empty body gives `undefined`) and refuses what the field ledger refuses. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_JSON_BODY) throw invalidArgument('request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
  // Every JSON body passes the field ledger's refusals before a handler acts on it.
  refuseUnsupportedBody(req, body);
  return body;
}

/** Docker's boolean query parsing: "1", "true", "True" … are true; absent is the default. */
export function queryBool(query: URLSearchParams, name: string, fallback = false): boolean {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  return !['0', 'false', 'False', 'FALSE', 'no'].includes(v);
}

export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidArgument(`invalid value for ${name}: ${v}`);
  return n;
}

/** Parses Docker's `filters` query parameter (`{"label":["a=b"]}` or legacy `{"label":{"a=b":true}}`). */
export function queryFilters(query: URLSearchParams): Map<string, string[]> {
  const raw = query.get('filters');
  const out = new Map<string, string[]>();
  if (raw === null || raw === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidArgument(`invalid filter '${raw}'`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalidArgument(`invalid filter '${raw}'`);
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(value)) out.set(key, value.map(String));
    else if (typeof value === 'object' && value !== null) out.set(key, Object.keys(value));
    else throw invalidArgument(`invalid filter '${raw}'`);
  }
  return out;
}
