import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { internal, invalidArgument } from '../errors/engine-error.js';
import { mknod } from '../lib/syscalls.js';
import type { FileLogLimits } from './log-options.js';
import type { FluentdTarget } from './fluentd-options.js';

/**
 * The capture path of the file drivers (json-file, local).
 *
 * Design: conmon keeps the container's stdio (so the container outlives the
 * daemon) and writes its k8s-file records, not into a file, but into a fifo
 * in the container's runtime dir. native/build/berth-logger, one small C
 * process per running container started here before conmon and detached
 * from berthd (own session, no pipe to berthd once it reported ready),
 * reads the fifo and writes dockerd's json-file records with dockerd's
 * 16 KiB partial splitting, rotation and compression (see its header).
 * Because neither conmon nor the writer depends on berthd, a daemon restart
 * or kill -9 loses no line and the log stays bounded while berthd is away.
 * Backpressure: the writer is the fifo's only reader; when it or the disk is
 * slow the fifo fills, conmon blocks on its write and the container blocks
 * on stdout, as dockerd's blocking mode. Conversion happens on the write
 * path, so readers of `<id>-json.log` (Fluent Bit, Promtail…) see Docker's
 * format. The writer removes its pidfile only after the last record is
 * written; captureDone() is how the engine knows the log is complete.
 */

export const LOG_WRITER_HELPER = ['../../../native/build/berth-logger', '../../native/build/berth-logger']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((p) => existsSync(p));

const S_IFIFO = 0o010000;
const fifoPath = (runDir: string): string => join(runDir, 'log.fifo');
const pidPath = (runDir: string): string => join(runDir, 'log-writer.pid');

export interface FileCaptureOptions {
  readonly runDir: string;
  /** The log file; none when only a remote receiver gets the output (dual logging's cache disabled). */
  readonly path?: string;
  readonly limits: FileLogLimits;
  /** mode=non-blocking: bytes the writer's queue may hold before records are dropped; 0 or absent for blocking. */
  readonly nonBlocking?: number;
  /** Pre-serialised attrs object for every record (json-file labels/env/tag). */
  readonly attrs?: string;
  /** Also send every record to a syslog receiver (see berth-logger's header). */
  readonly syslog?: {
    readonly address: string;
    readonly format: string;
    readonly facility: number;
    readonly tag: string;
    readonly hostname: string;
    readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string; readonly skipVerify: boolean };
  };
  /** Also send every record to a fluentd forward receiver; fields are `key=value`. */
  readonly fluentd?: FluentdTarget & { readonly tag: string; readonly fields: readonly string[] };
  /** Also send every record as a GELF message; `extra` is the sorted `"_k":"v",…` fields. */
  readonly gelf?: {
    readonly address: string;
    readonly compression: string;
    readonly level: number;
    readonly maxReconnect: number;
    readonly reconnectDelay: number;
    readonly hostname: string;
    readonly extra: string;
  };
}

/** Starts berth-logger on a fresh fifo; resolves once it holds the fifo open. Returns conmon's `-l` value and an abort. */
export async function startFileCapture(opts: FileCaptureOptions): Promise<{ conmonLog: string; abort(): Promise<void> }> {
  if (!LOG_WRITER_HELPER) throw internal('native/build/berth-logger is missing: run `make -C native`');
  await mkdir(opts.runDir, { recursive: true, mode: 0o700 });
  if (opts.path !== undefined) await mkdir(dirname(opts.path), { recursive: true, mode: 0o700 });
  const fifo = fifoPath(opts.runDir);
  const pidfile = pidPath(opts.runDir);
  // A writer left from an earlier start has ended with its conmon (EOF); a fresh fifo keeps the two apart.
  await rm(fifo, { force: true });
  mknod(fifo, S_IFIFO | 0o600);
  const { limits, syslog, gelf, fluentd } = opts;
  // prettier-ignore
  const args = [
    '-fifo', fifo, '-pidfile', pidfile,
    ...(opts.path !== undefined ? ['-log', opts.path] : []),
    ...(limits.maxSize > 0 ? ['-max-size', String(limits.maxSize)] : []),
    '-max-file', String(limits.maxFile),
    ...(limits.compress ? ['-compress'] : []),
    ...(opts.attrs !== undefined ? ['-attrs', opts.attrs] : []),
    ...(opts.nonBlocking ? ['-nonblock', String(opts.nonBlocking)] : []),
    // prettier-ignore
    ...(fluentd ? ['-fluentd', fluentd.address, '-fluentd-tag', fluentd.tag, ...fluentd.fields.flatMap((f) => ['-fluentd-field', f]),
      '-fluentd-buffer-limit', String(fluentd.bufferLimit), '-fluentd-retry-wait', String(Math.round(fluentd.retryWaitMs)), '-fluentd-max-retries', String(fluentd.maxRetries),
      ...(fluentd.async ? ['-fluentd-async'] : []), ...(fluentd.subSecond ? ['-fluentd-subsecond'] : []), ...(fluentd.requestAck ? ['-fluentd-ack'] : [])] : []),
    // prettier-ignore
    ...(gelf ? ['-gelf', gelf.address, '-gelf-compress', gelf.compression, '-gelf-level', String(gelf.level), '-gelf-host', gelf.hostname,
      '-gelf-extra', gelf.extra, '-gelf-tcp-max-reconnect', String(gelf.maxReconnect), '-gelf-tcp-reconnect-delay', String(gelf.reconnectDelay)] : []),
    ...(syslog ? ['-syslog', syslog.address, '-syslog-format', syslog.format, '-syslog-facility', String(syslog.facility), '-syslog-tag', syslog.tag, '-syslog-hostname', syslog.hostname] : []),
    ...(syslog?.tls?.ca !== undefined ? ['-syslog-ca', syslog.tls.ca] : []),
    ...(syslog?.tls?.cert !== undefined ? ['-syslog-cert', syslog.tls.cert] : []),
    ...(syslog?.tls?.key !== undefined ? ['-syslog-key', syslog.tls.key] : []),
    ...(syslog?.tls?.skipVerify ? ['-syslog-skip-verify'] : []),
  ];
  const errLog = await open(join(opts.runDir, 'log-writer.err'), 'a', 0o600);
  let child;
  let reported: Promise<string>;
  try {
    child = spawn(LOG_WRITER_HELPER, args, { detached: true, stdio: ['ignore', 'ignore', errLog.fd, 'pipe'] });
    // Listen before any await: when the child exits, Node resumes its unread stdio (flushStdio) and the report would go to nobody.
    reported = readReport(child.stdio[3] as Readable | null, child);
  } finally {
    await errLog.close();
  }
  child.unref();
  const report = await reported;
  if (report !== 'ok') {
    await rm(fifo, { force: true });
    // "init …": the receiver could not be reached, dockerd's start-time error of the driver.
    if (report.startsWith('init ')) throw invalidArgument(`failed to initialize logging driver: ${report.slice(5)}`);
    throw internal(`log writer: ${report}`);
  }
  const pid = child.pid;
  return {
    conmonLog: `k8s-file:${fifo}`,
    async abort() {
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await rm(pidfile, { force: true });
      await rm(fifo, { force: true });
    },
  };
}

function readReport(sync: Readable | null, child: ReturnType<typeof spawn>): Promise<string> {
  return new Promise((resolve) => {
    if (!sync) return resolve('no report pipe');
    let buf = '';
    const done = (text: string): void => {
      sync.destroy();
      resolve(text);
    };
    sync.setEncoding('utf8');
    sync.on('data', (c: string) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl).replace(/^err /, ''));
    });
    sync.once('end', () => done(buf.trim() || 'exited without a report'));
    sync.once('error', (e) => done(e.message));
    child.once('error', (e) => done(e.message));
  });
}

/**
 * True once the writer of `runDir` has finished (or never ran): its pidfile
 * is gone or names a dead process. Waits up to `timeoutMs` for that.
 */
export async function captureDone(runDir: string, timeoutMs = 0): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(pidPath(runDir), 'utf8').catch(() => undefined);
    const pid = text === undefined ? 0 : Number(text.trim());
    if (!(pid > 0) || !alive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Ends a writer still running for a container that is going away (one
 * blocked on a receiver that takes nothing, in blocking mode): SIGTERM, as
 * its conmon is gone and nothing more can come.
 */
export async function stopCapture(runDir: string): Promise<void> {
  if (await captureDone(runDir)) return;
  const pid = Number((await readFile(pidPath(runDir), 'utf8').catch(() => '')).trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // gone meanwhile
  }
}

/**
 * The container was killed: the writer stops waiting for remote receivers
 * (SIGUSR1) and drops what they do not take, so conmon, blocked on a full
 * fifo, can see the exit. The local file or cache still gets every record.
 */
export async function releaseCapture(runDir: string): Promise<void> {
  const pid = Number((await readFile(pidPath(runDir), 'utf8').catch(() => '')).trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    // gone already
  }
}
