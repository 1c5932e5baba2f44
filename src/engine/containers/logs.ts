import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { invalidArgument } from '../../errors/engine-error.js';
import { parseLogLine, type LogStream } from '../../runtime/log-line.js';
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

export interface LogEntry {
  readonly stream: LogStream;
  /** Output bytes, with the newline for complete lines. */
  readonly data: Buffer;
  readonly timeNs: bigint;
}

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

/** GET /containers/{id}/logs as a stream of entries; follows until the container stops or the caller aborts. */
export async function* readContainerLogs(sup: ContainerSupervisor, ref: string, opts: LogsOptions): AsyncGenerator<LogEntry> {
  const c = requireContainer(sup.ctx.db, ref);
  const path = c.runtime.logPath;
  const wanted = (s: LogStream): boolean => (s === 'stdout' ? opts.stdout : opts.stderr);
  const inWindow = (t: bigint): boolean =>
    (opts.sinceNs === undefined || t >= opts.sinceNs) && (opts.untilNs === undefined || t < opts.untilNs);

  let offset = 0;
  const initial: LogEntry[] = [];
  const size = await stat(path).then((s) => s.size, () => 0);
  if (size > 0) {
    const rl = createInterface({ input: createReadStream(path, { start: 0, end: size - 1 }), crlfDelay: Infinity });
    for await (const line of rl) {
      const rec = parseLogLine(line);
      if (!rec || !wanted(rec.stream) || !inWindow(rec.timeNs)) continue;
      initial.push({ stream: rec.stream, data: Buffer.from(rec.partial ? rec.text : rec.text + '\n'), timeNs: rec.timeNs });
      if (opts.tail !== undefined && initial.length > opts.tail) initial.shift();
    }
    offset = size;
  }
  if (opts.tail === 0) initial.length = 0;
  for (const e of initial) yield e;
  if (!opts.follow) return;
  if (opts.untilNs !== undefined && BigInt(Date.now()) * 1_000_000n >= opts.untilNs) return;

  let pending = '';
  for (;;) {
    if (opts.signal?.aborted) return;
    const current = await stat(path).then((s) => s.size, () => 0);
    if (current > offset) {
      const chunk = await readRange(path, offset, current);
      offset = current;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const rec = parseLogLine(line);
        if (!rec || !wanted(rec.stream)) continue;
        if (opts.untilNs !== undefined && rec.timeNs >= opts.untilNs) return;
        if (opts.sinceNs !== undefined && rec.timeNs < opts.sinceNs) continue;
        yield { stream: rec.stream, data: Buffer.from(rec.partial ? rec.text : rec.text + '\n'), timeNs: rec.timeNs };
      }
      continue;
    }
    const now = getContainerById(sup.ctx.db, c.id);
    if (!now || !now.state.Running) {
      // One last look: conmon may have flushed between our stat and its exit.
      const last = await stat(path).then((s) => s.size, () => 0);
      if (last > offset) continue;
      return;
    }
    await sleep(100, opts.signal);
  }
}

async function readRange(path: string, start: number, end: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path, { start, end: end - 1 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
