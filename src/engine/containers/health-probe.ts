import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { execPaths } from '../exec/exec-paths.js';
import { execSpecs } from '../exec/exec-process.js';
import type { ContainerRecord } from './container-model.js';
import type { ContainerSupervisor } from './supervisor.js';

/** moby's maxOutputLen: a probe's output is cut at 4 KiB. */
const MAX_OUTPUT = 4096;

export interface ProbeResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** Go's time.Duration String() for the common cases ("30s", "1.5s", "500ms", "1m0s"). */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const total = ms / 1000;
  if (total < 60) return `${Number(total.toFixed(3))}s`;
  const m = Math.floor(total / 60);
  const s = Number((total - m * 60).toFixed(3));
  if (m < 60) return `${m}m${s}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s}s`;
}

/**
 * Runs one health probe in the container as an exec process (moby cmdProbe):
 * output of both streams up to 4 KiB, killed after `timeoutMs` with exit
 * code -1 and Docker's "Health check exceeded timeout" text.
 */
export async function runHealthProbe(sup: ContainerSupervisor, c: ContainerRecord, cmd: readonly string[], timeoutMs: number): Promise<ProbeResult> {
  const ctx = sup.ctx;
  const start = new Date().toISOString();
  const id = randomBytes(32).toString('hex');
  const sessionDir = execPaths.sessionDir(ctx.settings, id);
  const exitDir = execPaths.exitDir(ctx.settings);
  const runtime = ctx.runtimes.get(c.runtime.runtime);
  const done = (exitCode: number, output: string): ProbeResult => ({ Start: start, End: new Date().toISOString(), ExitCode: exitCode, Output: output });
  if (!runtime) return done(-1, `unknown runtime ${c.runtime.runtime}`);
  try {
    const spec = await execSpecs(c, {
      User: '', Privileged: false, Tty: false, AttachStdin: false, AttachStdout: true, AttachStderr: true,
      DetachKeys: '', Env: [], WorkingDir: '', Cmd: [...cmd], ConsoleSize: null,
    });
    // the same exec path as `docker exec` (the native helper when the runtime has one)
    const proc = await runtime.exec({
      containerId: c.id, execId: id, sessionDir, exitDir, process: spec.process, terminal: false, openStdin: false,
      ...(c.state.Pid > 0 ? { container: { pid: c.state.Pid, linux: spec.linux } } : {}),
      seccompCacheDir: execPaths.seccompCacheDir(ctx.settings),
    });
    let output = Buffer.alloc(0);
    proc.conn.onData((_stream, data) => {
      if (output.length < MAX_OUTPUT) output = Buffer.concat([output, data]).subarray(0, MAX_OUTPUT);
    });
    const ended = new Promise<void>((resolve) => proc.conn.onEnd(resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([proc.exited, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      proc.conn.close();
      void proc.exited.catch(() => undefined);
      return done(-1, `Health check exceeded timeout (${goDuration(timeoutMs)})`);
    }
    await Promise.race([ended, new Promise((r) => setTimeout(r, 500).unref())]);
    proc.conn.close();
    return done(first, output.toString('utf8'));
  } catch (err) {
    return done(-1, (err as Error).message);
  } finally {
    await rm(sessionDir, { recursive: true, force: true }).catch(() => undefined);
    await rm(`${exitDir}/${id}`, { force: true }).catch(() => undefined);
  }
}
