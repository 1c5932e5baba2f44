import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SeqpacketSocket } from 'node-unix-socket';
import { EngineError, conflict, internal, notFound } from '../errors/engine-error.js';
import type { AttachConnection, ContainerRuntime, ExecProcess, RuntimeCreateOptions, RuntimeExecOptions, RuntimeState } from './container-runtime.js';
import { runConmonExec } from './conmon-exec.js';
import { canExecNatively, runNativeExec } from './native-exec.js';

export interface ConmonRuntimeOptions {
  /** "runc", "crun", … as configured. */
  readonly name: string;
  readonly runtimePath: string;
  /** The runtime's state directory (`--root`), private to this daemon. */
  readonly runtimeRoot: string;
  readonly conmonPath: string;
  /** Extra global runtime flags (e.g. `--systemd-cgroup`), placed before the subcommand. */
  readonly runtimeArgs?: readonly string[];
  /** How long create waits for conmon to report the container pid. Default 120 s. */
  readonly createTimeoutMs?: number;
  readonly log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** native/build/berth-exec: runs execs without `conmon --exec` + `runtime exec` when it can (runc semantics only). */
  readonly execHelperPath?: string;
}

/** conmon's attach socket stream ids (conmon src/conn_sock.h). */
const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
/** conmon reads attach packets into a buffer of this size; larger SEQPACKET writes would be truncated. */
const ATTACH_WRITE_MAX = 8192;
const childPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Text a runtime printed, with logrus' `time=… level=error msg="…"` reduced to the message. */
export function runtimeMessage(stderr: string): string {
  const msgs: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m?.[1] !== undefined) {
      try {
        msgs.push(JSON.parse(`"${m[1]}"`) as string);
      } catch {
        msgs.push(m[1]);
      }
    } else if (line.trim() !== '') {
      msgs.push(line.trim());
    }
  }
  return msgs.join(': ');
}

const isMissing = (text: string): boolean => /does not exist|not exist|no such file or directory/i.test(text);
const isNotRunning = (text: string): boolean => /not running|container not running|process already finished/i.test(text);

/** Collects a stream's text without letting it keep the call pending. */
function collect(stream: Readable | null): { text: () => string; ended: Promise<void> } {
  const chunks: Buffer[] = [];
  if (!stream) return { text: () => '', ended: Promise.resolve() };
  stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('error', () => resolve());
    stream.once('close', resolve);
  });
  return { text: () => Buffer.concat(chunks).toString('utf8'), ended };
}

/**
 * A ContainerRuntime that runs each container under its own conmon, which
 * keeps the container's stdio, writes the k8s-file log and the exit file,
 * and serves `<bundle>/attach` — so containers outlive the daemon.
 * Stateless: everything is derived from the id, the bundle and the runtime's
 * own state under `runtimeRoot`.
 */
export class ConmonRuntime implements ContainerRuntime {
  readonly name: string;
  private readonly opts: ConmonRuntimeOptions;

  constructor(opts: ConmonRuntimeOptions) {
    this.name = opts.name;
    this.opts = opts;
  }

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, { runtime: this.name, ...fields });
  }

  private globalArgs(): string[] {
    return [`--root=${this.opts.runtimeRoot}`, ...(this.opts.runtimeArgs ?? [])];
  }

  /**
   * Runs the runtime binary. Resolves on 'exit' (not 'close': a child of the
   * runtime may hold its stdio), then gives the pipes a moment to drain.
   */
  private run(args: readonly string[]): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.runtimePath, [...this.globalArgs(), ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: childPath },
      });
      const out = collect(child.stdout);
      const err = collect(child.stderr);
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        const drained = Promise.all([out.ended, err.ended]);
        const grace = new Promise<void>((r) => setTimeout(r, 200).unref());
        void Promise.race([drained, grace]).then(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolve({ code, signal, stdout: out.text(), stderr: err.text() });
        });
      });
    });
  }

  private async runOk(args: readonly string[]): Promise<RunResult> {
    const r = await this.run(args);
    if (r.code !== 0) {
      throw internal(`${this.name} ${args[0] ?? ''} failed: ${runtimeMessage(r.stderr) || `exit status ${r.code ?? r.signal}`}`);
    }
    return r;
  }

  async create(opts: RuntimeCreateOptions): Promise<{ pid: number; conmonPid: number }> {
    const { id, bundleDir } = opts;
    await mkdir(opts.exitDir, { recursive: true, mode: 0o700 });
    await mkdir(this.opts.runtimeRoot, { recursive: true, mode: 0o700 });
    const args = [
      '--api-version', '1',
      '-c', id,
      '-u', id,
      '-n', opts.name,
      '-r', this.opts.runtimePath,
      '-b', bundleDir,
      '-p', join(bundleDir, 'pidfile'),
      '-P', join(bundleDir, 'conmon.pid'),
      '-l', opts.conmonLog ?? `k8s-file:${opts.logPath}`,
      '--exit-dir', opts.exitDir,
      '--persist-dir', bundleDir,
      '--socket-dir-path', bundleDir,
      '--full-attach',
      '--log-level', 'info',
      ...this.globalArgs().flatMap((a) => ['--runtime-arg', a]),
      ...(opts.openStdin ? ['-i'] : []),
      // Docker: without StdinOnce, stdin stays open when an attached client goes away.
      ...(opts.openStdin && !opts.stdinOnce ? ['--leave-stdin-open'] : []),
      ...(opts.terminal ? ['-t'] : []),
    ];
    // conmon's own stderr goes to a file in the bundle: it must not hold a pipe to the daemon.
    const errLog = await open(join(bundleDir, 'conmon.log'), 'a', 0o600);
    let child;
    let sync: Readable | null;
    let replyP: Promise<{ data: number; message?: string }>;
    const started = Date.now();
    try {
      child = spawn(this.opts.conmonPath, args, {
        cwd: bundleDir,
        detached: true,
        stdio: ['ignore', 'ignore', errLog.fd, 'pipe'],
        env: { PATH: childPath, _OCI_SYNCPIPE: '3' },
      });
      sync = child.stdio[3] as Readable | null;
      if (!sync) throw internal('conmon: no sync pipe');
      // Listen before any await: conmon's first process exits at once (it daemonizes) and Node then resumes
      // unread stdio (flushStdio), so a reply arriving before a listener would be lost.
      replyP = readSyncReply(sync, child, this.opts.createTimeoutMs ?? 120_000);
      replyP.catch(() => undefined);
    } finally {
      await errLog.close();
    }
    child.unref();
    let reply: { data: number; message?: string };
    try {
      reply = await replyP;
    } catch (err) {
      const detail = await readFile(join(bundleDir, 'conmon.log'), 'utf8').catch(() => '');
      throw internal(`conmon failed for ${id}: ${(err as Error).message}${detail ? `: ${detail.trim()}` : ''}`, { cause: err });
    } finally {
      sync.destroy();
    }
    if (reply.data < 0) {
      // runc's text (e.g. `exec: "nope": executable file not found in $PATH`) is what the engine maps to Docker's errors.
      throw internal(`OCI runtime create failed: ${runtimeMessage(reply.message ?? '') || `${this.name} create failed`}`);
    }
    const conmonPid = Number((await readFile(join(bundleDir, 'conmon.pid'), 'utf8').catch(() => '')).trim()) || 0;
    this.log('container created', { id, pid: reply.data, conmonPid, ms: Date.now() - started });
    return { pid: reply.data, conmonPid };
  }

  async start(id: string): Promise<void> {
    const r = await this.run(['start', id]);
    if (r.code === 0) return;
    const msg = runtimeMessage(r.stderr);
    if (isMissing(msg)) throw notFound(`No such container: ${id}`);
    throw internal(`OCI runtime start failed: ${msg || `exit status ${r.code ?? r.signal}`}`);
  }

  async kill(id: string, signal: number): Promise<void> {
    const r = await this.run(['kill', id, String(signal)]);
    if (r.code === 0) return;
    const msg = runtimeMessage(r.stderr);
    if (isMissing(msg) || isNotRunning(msg)) return;
    throw internal(`${this.name} kill failed: ${msg || `exit status ${r.code ?? r.signal}`}`);
  }

  async delete(id: string, opts: { force?: boolean } = {}): Promise<void> {
    const r = await this.run(['delete', ...(opts.force ? ['--force'] : []), id]);
    if (r.code === 0) return;
    const msg = runtimeMessage(r.stderr);
    if (isMissing(msg)) return;
    if (/not stopped|is running|running/.test(msg)) throw conflict(`cannot delete running container ${id}: ${msg}`);
    throw internal(`${this.name} delete failed: ${msg || `exit status ${r.code ?? r.signal}`}`);
  }

  async hasRecord(id: string): Promise<boolean> {
    return access(join(this.opts.runtimeRoot, id)).then(
      () => true,
      () => false,
    );
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const r = await this.run(['state', id]);
    if (r.code !== 0) {
      const msg = runtimeMessage(r.stderr);
      if (isMissing(msg)) return undefined;
      throw internal(`${this.name} state failed: ${msg || `exit status ${r.code ?? r.signal}`}`);
    }
    const parsed = JSON.parse(r.stdout) as { status?: string; pid?: number };
    const status = parsed.status;
    if (status !== 'creating' && status !== 'created' && status !== 'running' && status !== 'paused' && status !== 'stopped') {
      throw internal(`${this.name} state: unexpected status ${String(status)}`);
    }
    return { status, pid: parsed.pid ?? 0 };
  }

  async pause(id: string): Promise<void> {
    await this.stateChange('pause', id);
  }

  async resume(id: string): Promise<void> {
    await this.stateChange('resume', id);
  }

  private async stateChange(verb: 'pause' | 'resume', id: string): Promise<void> {
    const r = await this.run([verb, id]);
    if (r.code === 0) return;
    const msg = runtimeMessage(r.stderr);
    if (isMissing(msg)) throw notFound(`No such container: ${id}`);
    if (isNotRunning(msg) || /not paused|paused/.test(msg)) throw conflict(msg);
    throw internal(`${this.name} ${verb} failed: ${msg || `exit status ${r.code ?? r.signal}`}`);
  }

  async attach(bundleDir: string): Promise<AttachConnection> {
    // sun_path holds 107 bytes and bundle paths can be longer: connect through
    // the directory's descriptor instead, as conmon does when it binds.
    let dir: FileHandle;
    try {
      dir = await open(bundleDir, 'r');
    } catch (err) {
      throw conflict(`container is not running (attach: ${(err as Error).message})`);
    }
    try {
      return await connectAttach(`/proc/self/fd/${dir.fd}/attach`);
    } finally {
      await dir.close();
    }
  }

  async update(id: string, resources: Readonly<Record<string, unknown>>): Promise<void> {
    await mkdir(this.opts.runtimeRoot, { recursive: true, mode: 0o700 });
    const file = join(this.opts.runtimeRoot, `update-${id}.json`);
    await writeFile(file, JSON.stringify(resources), { mode: 0o600 });
    try {
      const r = await this.run(['update', '--resources', file, id]);
      if (r.code === 0) return;
      const msg = runtimeMessage(r.stderr);
      if (isMissing(msg)) throw notFound(`No such container: ${id}`);
      throw internal(`${this.name} update failed: ${msg || `exit status ${r.code ?? r.signal}`}`);
    } finally {
      await rm(file, { force: true });
    }
  }

  exec(opts: RuntimeExecOptions): Promise<ExecProcess> {
    if (this.opts.execHelperPath !== undefined && canExecNatively(opts)) {
      return runNativeExec({ helperPath: this.opts.execHelperPath, timeoutMs: this.opts.createTimeoutMs ?? 120_000 }, opts);
    }
    return runConmonExec(
      {
        conmonPath: this.opts.conmonPath,
        runtimePath: this.opts.runtimePath,
        globalArgs: this.globalArgs(),
        childPath,
        attach: (dir) => this.attach(dir),
        timeoutMs: this.opts.createTimeoutMs ?? 120_000,
        runtimeMessage,
      },
      opts,
    );
  }

  async resize(bundleDir: string, rows: number, cols: number): Promise<void> {
    // O_NONBLOCK: opening a fifo nobody reads (conmon gone) fails with ENXIO instead of hanging a worker thread.
    let fh;
    try {
      fh = await open(join(bundleDir, 'ctl'), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENXIO' || code === 'ENOENT') throw conflict('container is not running');
      throw err;
    }
    try {
      await fh.write(`1 ${Math.trunc(rows)} ${Math.trunc(cols)}\n`);
    } finally {
      await fh.close();
    }
  }
}

/** Reads conmon's `{"data": N[, "message": "…"]}` from the sync pipe. */
function readSyncReply(sync: Readable, child: ReturnType<typeof spawn>, timeoutMs: number): Promise<{ data: number; message?: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let exitCode: number | null = null;
    const timer = setTimeout(() => finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, value?: { data: number; message?: string }): void => {
      clearTimeout(timer);
      sync.removeAllListeners('data');
      if (err) reject(err);
      else if (value) resolve(value);
    };
    sync.setEncoding('utf8');
    sync.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      const line = nl < 0 ? undefined : buf.slice(0, nl);
      if (line === undefined) return;
      try {
        const v = JSON.parse(line) as { data?: unknown; message?: unknown };
        if (typeof v.data !== 'number') throw new Error('no data');
        finish(undefined, { data: v.data, ...(typeof v.message === 'string' ? { message: v.message } : {}) });
      } catch {
        finish(new Error(`unparsable sync message ${JSON.stringify(line)}`));
      }
    });
    sync.once('end', () => finish(new Error(`sync pipe closed without a pid${exitCode !== null ? ` (conmon exit status ${exitCode})` : ''}`)));
    sync.once('error', (e) => finish(e));
    child.once('error', (e) => finish(e));
    child.once('exit', (code) => {
      exitCode = code;
    });
  });
}

function connectAttach(path: string): Promise<AttachConnection> {
  return new Promise((resolve, reject) => {
    const sock = new SeqpacketSocket();
    let connected = false;
    let closed = false;
    const dataListeners: ((stream: 'stdout' | 'stderr', data: Buffer) => void)[] = [];
    const endListeners: (() => void)[] = [];
    // Packets that arrive before the first onData() are kept, so no output is lost.
    const pending: [('stdout' | 'stderr'), Buffer][] = [];
    let ended = false;

    const emitEnd = (): void => {
      if (ended) return;
      ended = true;
      for (const l of endListeners) l();
    };
    sock.on('data', (packet: Buffer) => {
      const kind = packet[0];
      if (kind !== STDOUT_PIPE && kind !== STDERR_PIPE) return;
      const stream = kind === STDOUT_PIPE ? 'stdout' : 'stderr';
      const data = packet.subarray(1);
      if (dataListeners.length === 0) pending.push([stream, data]);
      else for (const l of dataListeners) l(stream, data);
    });
    sock.on('end', emitEnd);
    sock.on('close', emitEnd);
    sock.on('error', (err: Error) => {
      if (!connected) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        reject(/ENOENT|ECONNREFUSED/.test(code + err.message) ? conflict(`container is not running (attach: ${err.message})`) : internal(`attach: ${err.message}`, { cause: err }));
        return;
      }
      emitEnd();
    });

    const conn: AttachConnection & { closeStdin(): void } = {
      onData(listener) {
        dataListeners.push(listener);
        if (dataListeners.length === 1) for (const [s, d] of pending.splice(0)) listener(s, d);
      },
      onEnd(listener) {
        if (ended) listener();
        else endListeners.push(listener);
      },
      writeStdin(data) {
        if (closed || ended) return;
        for (let off = 0; off < data.length; off += ATTACH_WRITE_MAX) {
          sock.write(data.subarray(off, Math.min(off + ATTACH_WRITE_MAX, data.length)));
        }
      },
      /** Half-closes: conmon sees EOF and (with stdinOnce) closes the container's stdin; output keeps coming. */
      closeStdin() {
        if (!closed && !ended) sock.end();
      },
      close() {
        if (closed) return;
        closed = true;
        sock.destroy();
      },
    };
    try {
      sock.connect(path, () => {
        connected = true;
        resolve(conn);
      });
    } catch (err) {
      reject(err instanceof EngineError ? err : conflict(`container is not running (attach: ${(err as Error).message})`));
    }
  });
}
