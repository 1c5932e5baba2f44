import { readFile, rm } from 'node:fs/promises';
import { EngineError, conflict, invalidArgument } from '../../errors/engine-error.js';
import { requireContainer } from '../containers/container-repo.js';
import type { ContainerSupervisor } from '../containers/supervisor.js';
import { execPaths } from './exec-paths.js';
import { execSpecs } from './exec-process.js';
import { requireExec, saveExecState } from './exec-repo.js';
import type { ExecRecord } from './exec-model.js';
import { liveExecs } from './live-execs.js';

/** Where an attached exec's output goes and how its stdin is fed. */
export interface ExecIo {
  write(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** Output ended and the exit code is recorded (inspect shows it). */
  end(): void;
  /** Called once the process runs, with the way to feed (and close) its stdin. */
  connectStdin?(write: (data: Buffer) => void, close: () => void): void;
}

export interface ExecStartOptions {
  readonly detach: boolean;
  readonly tty?: boolean;
  /** [height, width] for the TTY before the process starts. */
  readonly consoleSize?: [number, number] | null;
  /** Required unless detached. */
  readonly io?: ExecIo;
}

/** Checks that the exec can start; call before hijacking so errors get a proper status. */
export function checkExecStartable(sup: ContainerSupervisor, ref: string): ExecRecord {
  const e = requireExec(sup.ctx.db, ref);
  if (e.state.Running) throw conflict(`Error: Exec command ${e.id} is already running`);
  if (e.state.Started) throw conflict(`Error: Exec command ${e.id} has already run`);
  const c = requireContainer(sup.ctx.db, e.containerId);
  if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
  if (c.state.Paused) throw conflict(`container ${c.id} is paused, unpause the container before exec`);
  return e;
}

/**
 * POST /exec/{id}/start: runs the process under its own conmon. Resolves once
 * it runs; output and the exit then flow to `io`. A process that cannot be
 * executed gets Docker's 126/127 exit code and, when attached, its message on stdout.
 */
export async function startExec(sup: ContainerSupervisor, ref: string, opts: ExecStartOptions): Promise<void> {
  const ctx = sup.ctx;
  const e = checkExecStartable(sup, ref);
  const c = requireContainer(ctx.db, e.containerId);
  const runtime = ctx.runtimes.get(c.runtime.runtime);
  if (!runtime) throw invalidArgument(`unknown or invalid runtime name: ${c.runtime.runtime}`);
  const tty = e.config.Tty;
  const size = opts.consoleSize ?? e.config.ConsoleSize;
  e.state = { ...e.state, Started: true, Running: true };
  saveExecState(ctx.db, e);
  const attrs = { execID: e.id, image: c.imageRef, name: c.name };
  const sessionDir = execPaths.sessionDir(ctx.settings, e.id);
  const exitDir = execPaths.exitDir(ctx.settings);
  let proc;
  try {
    const spec = await execSpecs(c, { ...e.config, ConsoleSize: size });
    proc = await runtime.exec({
      containerId: c.id,
      execId: e.id,
      sessionDir,
      exitDir,
      process: spec.process,
      ...(c.state.Pid > 0 ? { container: { pid: c.state.Pid, linux: spec.linux } } : {}),
      seccompCacheDir: execPaths.seccompCacheDir(ctx.settings),
      terminal: tty,
      openStdin: e.config.AttachStdin && !opts.detach,
      beforeStart: async () => {
        if (tty && size && size[0] > 0 && size[1] > 0) await runtime.resize(sessionDir, size[0], size[1]).catch(() => undefined);
      },
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : 126;
    e.state = { ...e.state, Running: false, ExitCode: exitCode, Pid: 0 };
    saveExecState(ctx.db, e);
    await rm(sessionDir, { recursive: true, force: true }).catch(() => undefined);
    if (opts.detach || !opts.io) throw err instanceof EngineError ? err : conflict(message);
    // moby writes the start error into the hijacked stream, after which the client inspects the exit code.
    opts.io.write('stdout', Buffer.from(`${message}\r\n`));
    opts.io.end();
    return;
  }
  e.state = { ...e.state, Pid: proc.pid };
  saveExecState(ctx.db, e);
  ctx.events.publish('container', `exec_start: ${e.config.Cmd.join(' ')}`, c.id, attrs);

  const io = opts.detach ? undefined : opts.io;
  const outputEnded = new Promise<void>((resolve) => proc.conn.onEnd(resolve));
  if (io) {
    proc.conn.onData((stream, data) => {
      if (stream === 'stdout' && e.config.AttachStdout) io.write('stdout', data);
      if (stream === 'stderr' && e.config.AttachStderr) io.write('stderr', data);
    });
    if (e.config.AttachStdin && io.connectStdin) {
      io.connectStdin(
        (d) => proc.conn.writeStdin(d),
        () => proc.conn.closeStdin(),
      );
    }
  } else {
    // Detached: nobody reads; conmon keeps the output in the session's log.
    proc.conn.onData(() => undefined);
  }
  const live = liveExecs(sup);
  const done = (async (): Promise<void> => {
    const exitCode = await proc.exited;
    // Output may trail the exit by a moment; never wait long for it.
    await Promise.race([outputEnded, new Promise((r) => setTimeout(r, 1000).unref())]);
    recordExecExit(sup, e.id, exitCode);
    live.delete(e.id);
    proc.conn.close();
    // The exit is recorded: the client may go on (inspect) while the files go.
    io?.end();
    await rm(sessionDir, { recursive: true, force: true }).catch(() => undefined);
    await rm(`${exitDir}/${e.id}`, { force: true }).catch(() => undefined);
  })();
  live.set(e.id, { containerId: c.id, sessionDir, conn: proc.conn, done });
  done.catch((err: unknown) => ctx.log.warn('exec exit handling failed', { id: e.id, error: (err as Error).message }));
}

/** Records an exec's exit and publishes exec_die; idempotent. */
export function recordExecExit(sup: ContainerSupervisor, id: string, exitCode: number): void {
  const ctx = sup.ctx;
  let e: ExecRecord;
  try {
    e = requireExec(ctx.db, id);
  } catch {
    return; // the container (and its execs) were removed meanwhile
  }
  if (!e.state.Running) return;
  e.state = { ...e.state, Running: false, ExitCode: exitCode };
  saveExecState(ctx.db, e);
  let attrs: Record<string, string> = { execID: e.id, exitCode: String(exitCode) };
  try {
    const c = requireContainer(ctx.db, e.containerId);
    attrs = { ...attrs, image: c.imageRef, name: c.name };
  } catch {
    // container gone: the event still names the exec
  }
  ctx.events.publish('container', 'exec_die', e.containerId, attrs);
}

/** An exec recorded as running that this daemon no longer watches (it restarted): its exit file settles it. */
export async function settleOrphanExec(sup: ContainerSupervisor, e: ExecRecord): Promise<void> {
  if (!e.state.Running || liveExecs(sup).has(e.id)) return;
  // berth-exec writes <exec exits>/<exec id>; conmon --exec names its exit-dir file after the container, so its own is <session>/exit.
  const text =
    (await readFile(`${execPaths.exitDir(sup.ctx.settings)}/${e.id}`, 'utf8').catch(() => undefined)) ??
    (await readFile(`${execPaths.sessionDir(sup.ctx.settings, e.id)}/exit`, 'utf8').catch(() => undefined));
  if (text !== undefined) {
    const code = Number.parseInt(text.trim(), 10);
    recordExecExit(sup, e.id, Number.isFinite(code) ? code : 255);
    await rm(execPaths.sessionDir(sup.ctx.settings, e.id), { recursive: true, force: true }).catch(() => undefined);
    await rm(`${execPaths.exitDir(sup.ctx.settings)}/${e.id}`, { force: true }).catch(() => undefined);
    return;
  }
  let alive = e.state.Pid > 0;
  if (alive) {
    try {
      process.kill(e.state.Pid, 0);
    } catch {
      alive = false;
    }
  }
  if (!alive) recordExecExit(sup, e.id, 255);
}
