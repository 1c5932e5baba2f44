import { parseRfc3339Nano } from '../lib/rfc3339-nano.js';
/**
 * conmon's k8s-file log format, one record per line:
 *   `2026-11-29T08:14:25.032680022+00:00 stdout F hello`
 * `F` ends a line of container output, `P` is a partial chunk (conmon splits
 * long lines and flushes unterminated output) to be joined with what follows.
 */

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  /** RFC 3339 with nanoseconds, exactly as written. */
  readonly time: string;
  /** Nanoseconds since the Unix epoch. */
  readonly timeNs: bigint;
  readonly stream: LogStream;
  readonly partial: boolean;
  /** The output without the line's terminating newline. */
  readonly text: string;
}


/** ns since epoch → `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+00:00`, the form conmon writes (UTC). */
export function formatRfc3339Nano(timeNs: bigint): string {
  const sec = timeNs / 1_000_000_000n;
  const frac = timeNs % 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, '0')}+00:00`;
}

/** Parses one line (without its trailing "\n"). Returns undefined for a malformed line. */
export function parseLogLine(line: string): LogLine | undefined {
  const a = line.indexOf(' ');
  if (a < 0) return undefined;
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const time = line.slice(0, a);
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag field may carry more than P/F in newer CRI versions ("F:extra"); only the first letter matters.
  const c = line.indexOf(' ', b + 1);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  if (tag[0] !== 'P' && tag[0] !== 'F') return undefined;
  const timeNs = parseRfc3339Nano(time);
  if (timeNs === undefined) return undefined;
  return { time, timeNs, stream, partial: tag[0] === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

/** Formats one record as conmon would, without the trailing "\n". */
export function formatLogLine(rec: { timeNs: bigint; stream: LogStream; partial: boolean; text: string }): string {
  return `${formatRfc3339Nano(rec.timeNs)} ${rec.stream} ${rec.partial ? 'P' : 'F'} ${rec.text}`;
}
