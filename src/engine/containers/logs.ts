import { EngineError, invalidArgument } from '../../errors/engine-error.js';
import { captureDone } from '../../logging/log-capture.js';
import { logDriverFor } from '../../logging/log-drivers.js';
import { readLogFiles } from '../../logging/log-reader.js';
import type { LogRecord, LogStream } from '../../logging/log-record.js';
import { getContainerById, requireContainer } from './container-repo.js';
import type { ContainerSupervisor } from './supervisor.js';

export interface LogsOptions {
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly follow: boolean;
  /** Nanoseconds since epoch; entries at or after. */
  readonly sinceNs?: bigint;
  /** Nanoseconds since epoch; entries before. */
  readonly untilNs?: bigint;
  /** Last N entries; undefined for all. */
  readonly tail?: number;
  readonly signal?: AbortSignal;
}

export type LogEntry = LogRecord;

/** Docker's `since`/`until` values: unix seconds with optional fraction, or RFC 3339. */
export function parseLogTime(value: string | null): bigint | undefined {
  if (value === null || value === '' || value === '0') return undefined;
  if (/^\d+(\.\d{1,9})?$/.test(value)) {
    const [sec = '0', frac = ''] = value.split('.');
    return BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(`invalid value for "since": failed to parse value as time or duration: "${value}"`);
  return BigInt(ms) * 1_000_000n;
}

/**
 * GET /containers/{id}/logs as a stream of entries, from the container's
 * log driver; follows until the container stopped and its log writer
 * finished, or the caller aborts.
 */
export async function* readContainerLogs(sup: ContainerSupervisor, ref: string, opts: LogsOptions): AsyncGenerator<LogEntry> {
  const c = requireContainer(sup.ctx.db, ref);
  const files = logDriverFor(c.hostConfig.LogConfig.Type).files(c.runtime.containerDir, c.id, c.hostConfig.LogConfig.Config ?? {});
  // dockerd ErrReadLogsNotSupported (a 501).
  if (!files) throw new EngineError('not_implemented', 'configured logging driver does not support reading');
  const wanted = (s: LogStream): boolean => (s === 'stdout' ? opts.stdout : opts.stderr);
  const inWindow = (t: bigint): boolean =>
    (opts.sinceNs === undefined || t >= opts.sinceNs) && (opts.untilNs === undefined || t < opts.untilNs);
  // A container that has just stopped may still have its last lines in the writer: wait for it briefly.
  const now = getContainerById(sup.ctx.db, c.id);
  if (!now?.state.Running) await captureDone(c.runtime.bundleDir, 2_000);
  yield* readLogFiles(files.path, {
    accept: (r) => wanted(r.stream) && inWindow(r.timeNs),
    ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    follow: opts.follow,
    ...(opts.untilNs !== undefined ? { untilNs: opts.untilNs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    finished: async () => {
      const cur = getContainerById(sup.ctx.db, c.id);
      return !cur || (!cur.state.Running && (await captureDone(c.runtime.bundleDir)));
    },
  });
}
