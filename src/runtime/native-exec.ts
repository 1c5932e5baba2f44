import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { conflict, internal } from '../errors/engine-error.js';
import type { AttachConnection, ExecProcess, RuntimeExecOptions } from './container-runtime.js';
import { JsonLineQueue } from './json-line-queue.js';
import { cgroupDirsOf, encodeNativeExecSpec, nativeExecUnsupported, type CgroupDirs } from './native-exec-spec.js';

/**
 * native/build/berth-exec, found from the package root (dist/src/runtime →
 * ../../.., src/runtime → ../..); undefined when it is not built.
 */
export const NATIVE_EXEC_HELPER = ['../../../native/build/berth-exec', '../../native/build/berth-exec']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((p) => existsSync(p));

export interface NativeExecSetup {
  readonly helperPath: string;
  readonly timeoutMs: number;
}

/** Whether `runNativeExec` can run this exec as runc would; otherwise conmon + runc must. */
export function canExecNatively(opts: RuntimeExecOptions): boolean {
  return opts.container !== undefined && opts.container.pid > 0 && nativeExecUnsupported(opts.process, opts.container.linux) === undefined;
}

const madeDirs = new Set<string>();

/**
 * One idle helper per binary, spawned ahead: spawning from a large Node
 * process (fork + exec + loading libseccomp) is the costliest step left on
 * an exec's path. It waits for its spec on fd 3 and exits if berthd goes.
 */
const spares = new Map<string, ChildProcess>();

function spawnHelper(helperPath: string): ChildProcess {
  const child = spawn(helperPath, [], { detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: {} });
  child.unref();
  child.once('error', () => undefined);
  for (const s of child.stdio) {
    s?.on('error', () => undefined);
    (s as { unref?: () => void } | null)?.unref?.();
  }
  return child;
}

function takeHelper(helperPath: string): ChildProcess {
  const spare = spares.get(helperPath);
  spares.delete(helperPath);
  if (spare && spare.exitCode === null && spare.signalCode === null) {
    for (const s of spare.stdio) (s as { ref?: () => void } | null)?.ref?.();
    return spare;
  }
  spare?.kill('SIGKILL');
  const child = spawnHelper(helperPath);
  for (const s of child.stdio) (s as { ref?: () => void } | null)?.ref?.();
  return child;
}

function refillSpare(helperPath: string): void {
  if (!spares.has(helperPath)) spares.set(helperPath, spawnHelper(helperPath));
}

/**
 * Runs an exec through berth-exec: it joins the init's namespaces and
 * cgroups, applies the process spec (caps, rlimits, user, no_new_privs,
 * seccomp) and execs, then relays stdio on its fds 0–2 and reports
 * `{"pid"}` / `{"error","code"}` / `{"exit"}` on fd 3. It runs in its own
 * session, so it and the process outlive a daemon restart (the exit file is
 * then the record); the pid namespace takes the process down with the container.
 */
export async function runNativeExec(setup: NativeExecSetup, opts: RuntimeExecOptions): Promise<ExecProcess> {
  const target = opts.container;
  if (!target) throw internal('native exec: no container process');
  for (const dir of [opts.exitDir, opts.seccompCacheDir]) {
    if (dir === undefined || madeDirs.has(dir)) continue;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    madeDirs.add(dir);
  }
  let cgroups: CgroupDirs;
  try {
    cgroups = await cgroupDirsOf(target.pid);
  } catch (err) {
    throw conflict(`container is not running (exec: ${(err as Error).message})`);
  }
  // The pid must still be this container's init (not a reused pid): its cgroup is the container's.
  const cgPath = target.linux['cgroupsPath'];
  const mine = typeof cgPath === 'string' && cgPath.startsWith('/') ? (p: string): boolean => p === cgPath : (p: string): boolean => p.includes(opts.containerId);
  if (!cgroups.paths.some(mine)) throw conflict(`container ${opts.containerId} is not running`);
  if (opts.terminal) await mkdir(opts.sessionDir, { recursive: true, mode: 0o700 });
  const spec = encodeNativeExecSpec({
    initPid: target.pid,
    process: opts.process,
    linux: target.linux,
    cgroups,
    openStdin: opts.openStdin,
    exitFile: join(opts.exitDir, opts.execId),
    ...(opts.terminal ? { ctlPath: join(opts.sessionDir, 'ctl') } : {}),
    ...(opts.seccompCacheDir !== undefined ? { seccompCacheDir: opts.seccompCacheDir } : {}),
  });
  const child = takeHelper(setup.helperPath);
  const ctl = (child.stdio as unknown as (Readable & Writable)[])[3];
  if (!ctl) throw internal('native exec: no control socket');
  ctl.on('error', () => undefined);
  const messages = new JsonLineQueue<ControlMessage>(ctl, (v) => (typeof v === 'object' && v !== null ? (v as ControlMessage) : undefined), {
    closedMessage: 'berth-exec closed its control socket',
    sender: 'helper',
  });
  ctl.write(spec);
  // stdin unused: its end is all the helper sees (it gave the process /dev/null); with a TTY, stderr stays silent.
  if (!opts.openStdin) child.stdin?.end();
  const conn = new HelperConnection(opts.openStdin ? child.stdin : null, child.stdout, opts.terminal ? null : child.stderr);
  if (opts.terminal) child.stderr?.resume();

  let first: ControlMessage;
  try {
    first = await messages.next(setup.timeoutMs);
  } catch (err) {
    conn.close();
    messages.destroy();
    child.kill('SIGKILL');
    throw internal(`native exec: ${(err as Error).message}`, { cause: err });
  }
  // The next exec's helper, spawned off this one's path.
  setImmediate(() => refillSpare(setup.helperPath));
  if (first.pid === undefined) {
    conn.close();
    messages.destroy();
    throw execStartFailure(first.error ?? 'exec failed');
  }
  const exited = messages.next(0).then(
    (m) => m.exit ?? 255,
    async () => {
      // The helper died without a report: its exit file, if any, else unknown.
      const text = await readFile(join(opts.exitDir, opts.execId), 'utf8').catch(() => '');
      const code = Number.parseInt(text.trim(), 10);
      return Number.isFinite(code) ? code : 255;
    },
  );
  void exited.finally(() => messages.destroy());
  await opts.beforeStart?.(conn);
  return { pid: first.pid, conn, exited };
}

/** A process that could not be started, in runc's words as Docker reports them (the engine maps 126/127 from the text). */
function execStartFailure(message: string): Error {
  const text = `OCI runtime exec failed: exec failed: unable to start container process: ${message.replace(/\s+/g, ' ').trim()}: unknown`;
  return /executable file not found|no such file or directory/.test(message) ? conflict(text) : internal(text);
}

/**
 * The helper's stdio as an attach connection. Output is taken from the
 * start and held until `onData`: Node resumes (and so drops) a child's
 * unread stdio when the child exits, which a quick exec does first.
 */
class HelperConnection implements AttachConnection {
  private ended = 0;
  private readonly outputs: Readable[];
  private readonly endListeners: (() => void)[] = [];
  private listener: ((stream: 'stdout' | 'stderr', data: Buffer) => void) | undefined;
  private held: { stream: 'stdout' | 'stderr'; data: Buffer }[] = [];

  constructor(
    private readonly stdin: Writable | null,
    stdout: Readable | null,
    stderr: Readable | null,
  ) {
    this.outputs = [stdout, stderr].filter((s): s is Readable => s !== null);
    stdin?.on('error', () => undefined);
    stdout?.on('data', (d: Buffer) => this.deliver('stdout', d));
    stderr?.on('data', (d: Buffer) => this.deliver('stderr', d));
    for (const s of this.outputs) {
      s.on('error', () => undefined);
      s.once('close', () => {
        this.ended++;
        if (this.ended === this.outputs.length) for (const l of this.endListeners.splice(0)) l();
      });
    }
  }

  private deliver(stream: 'stdout' | 'stderr', data: Buffer): void {
    if (this.listener) this.listener(stream, data);
    else this.held.push({ stream, data });
  }

  onData(listener: (stream: 'stdout' | 'stderr', data: Buffer) => void): void {
    this.listener = listener;
    const held = this.held;
    this.held = [];
    for (const h of held) listener(h.stream, h.data);
  }

  onEnd(listener: () => void): void {
    if (this.ended === this.outputs.length) listener();
    else this.endListeners.push(listener);
  }

  writeStdin(data: Buffer): void {
    if (this.stdin && !this.stdin.writableEnded && !this.stdin.destroyed) this.stdin.write(data);
  }

  closeStdin(): void {
    if (this.stdin && !this.stdin.writableEnded) this.stdin.end();
  }

  close(): void {
    this.stdin?.destroy();
    for (const s of this.outputs) s.destroy();
  }
}

interface ControlMessage {
  readonly pid?: number;
  readonly exit?: number;
  readonly error?: string;
  readonly code?: number;
}

