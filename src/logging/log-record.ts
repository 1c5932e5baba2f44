import { parseRfc3339Nano } from '../lib/rfc3339-nano.js';
/**
 * One json-file record as dockerd writes it
 * (`{"log":"…","stream":"stdout","attrs":{…},"time":"RFC3339Nano"}`) and as
 * `logs` hands it on.
 */
export type LogStream = 'stdout' | 'stderr';

export interface LogRecord {
  readonly stream: LogStream;
  /** The output bytes, with the newline for a complete line (none for a partial record). */
  readonly data: Buffer;
  /** Nanoseconds since the Unix epoch. */
  readonly timeNs: bigint;
  readonly attrs?: Readonly<Record<string, string>>;
}


/** Parses one line of a json-file log (without its "\n"); undefined when it is not a record. */
export function parseJsonRecord(line: string): LogRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as { log?: unknown; stream?: unknown; time?: unknown; attrs?: unknown };
  if ((r.stream !== 'stdout' && r.stream !== 'stderr') || typeof r.time !== 'string') return undefined;
  const timeNs = parseRfc3339Nano(r.time);
  if (timeNs === undefined) return undefined;
  const attrs = typeof r.attrs === 'object' && r.attrs !== null ? (r.attrs as Record<string, string>) : undefined;
  return { stream: r.stream, data: Buffer.from(typeof r.log === 'string' ? r.log : '', 'utf8'), timeNs, ...(attrs ? { attrs } : {}) };
}
