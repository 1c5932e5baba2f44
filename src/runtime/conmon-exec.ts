import { spawn } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { conflict, internal } from '../errors/engine-error.js';
import type { AttachConnection, ExecProcess, RuntimeExecOptions } from './container-runtime.js';

export interface ConmonExecSetup {
  readonly conmonPath: string;
  readonly runtimePath: string;
  readonly globalArgs: readonly string[];
  readonly childPath: string;
  /** Connects to `<dir>/attach` (through the directory's fd: session paths can exceed sun_path). */
  readonly attach: (dir: string) => Promise<AttachConnection>;
  readonly timeoutMs: number;
  /** Reduces runtime stderr (logrus lines) to its message. */
  readonly runtimeMessage: (stderr: string) => string;
}

/**
 * `conmon --exec` with the attach handshake: fd 3 is the sync pipe
 * (`{"data": pid}` then `{"data": exit code}`), fd 4 tells us the attach
 * socket is listening, fd 5 is written twice — once to let conmon set up,
 * once (after we connected) to let the process start. So no output is lost.
 */
export async function runConmonExec(setup: ConmonExecSetup, opts: RuntimeExecOptions): Promise<ExecProcess> {
  const dir = opts.sessionDir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await mkdir(opts.exitDir, { recursive: true, mode: 0o700 });
  const specPath = join(dir, 'process.json');
  await writeFile(specPath, JSON.stringify(opts.process));
  const args = [
    '--api-version', '1',
    '-c', opts.containerId,
    '-u', opts.execId,
    '-r', setup.runtimePath,
    '-b', dir,
    '-p', join(dir, 'pidfile'),
    '-P', join(dir, 'conmon.pid'),
    '-l', `k8s-file:${join(dir, 'exec.log')}`,
    '--exit-dir', opts.exitDir,
    '--persist-dir', dir,
    '--socket-dir-path', dir,
    '--full-attach',
    '--log-level', 'info',
    ...setup.globalArgs.flatMap((a) => ['--runtime-arg', a]),
    '-e',
    '--exec-process-spec', specPath,
    '--exec-attach',
    ...(opts.openStdin ? ['-i'] : []),
    ...(opts.terminal ? ['-t'] : []),
  ];
  const errLog = await open(join(dir, 'conmon.log'), 'a', 0o600);
  let child;
  try {
    child = spawn(setup.conmonPath, args, {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'ignore', errLog.fd, 'pipe', 'pipe', 'pipe'],
      env: { PATH: setup.childPath, _OCI_SYNCPIPE: '3', _OCI_ATTACHPIPE: '4', _OCI_STARTPIPE: '5' },
    });
  } finally {
    await errLog.close();
  }
  child.unref();
  child.once('error', () => undefined);
  const sync = new JsonMessages(child.stdio[3] as Readable);
  const attachPipe = new JsonMessages(child.stdio[4] as Readable);
  const startPipe = (child.stdio as unknown as (Readable | Writable | null)[])[5] as Writable;
  startPipe.on('error', () => undefined);
  const fail = async (what: string, err: unknown): Promise<never> => {
    sync.destroy();
    attachPipe.destroy();
    startPipe.destroy();
    const detail = (await readFile(join(dir, 'conmon.log'), 'utf8').catch(() => '')).trim();
    throw internal(`conmon exec ${what}: ${(err as Error).message}${detail ? `: ${detail}` : ''}`, { cause: err });
  };

  let conn: AttachConnection;
  try {
    startPipe.write('0');
    const ready = await attachPipe.next(setup.timeoutMs);
    if (ready.data < 0) throw new Error(ready.message ?? 'attach setup failed');
    conn = await setup.attach(dir);
  } catch (err) {
    return fail('attach', err);
  } finally {
    attachPipe.destroy();
  }
  try {
    await opts.beforeStart?.(conn);
    startPipe.write('1');
    startPipe.end();
    const pidMsg = await sync.next(setup.timeoutMs);
    if (pidMsg.data < 0) {
      conn.close();
      sync.destroy();
      throw execFailure(setup.runtimeMessage(pidMsg.message ?? ''));
    }
    const exited = sync.next(0).then(
      (m) => m.data,
      async () => {
        // The sync pipe broke (conmon killed): the exit file is the record, else unknown (Docker: 255 … here 137 is likelier wrong).
        // conmon --exec writes <exit-dir>/<container id>, shared by the container's execs; <persist-dir>/exit is this one's.
        const text = await readFile(join(dir, 'exit'), 'utf8').catch(() => '');
        const code = Number.parseInt(text.trim(), 10);
        return Number.isFinite(code) ? code : 255;
      },
    );
    void exited.finally(() => sync.destroy());
    return { pid: pidMsg.data, conn, exited };
  } catch (err) {
    if ((err as { code?: string }).code === 'invalid_argument' || (err as { code?: string }).code === 'conflict') throw err;
    return fail('start', err);
  }
}

/** runc's exec errors as Docker reports them (the CLI maps 126/127 from the message too). */
function execFailure(message: string): Error {
  const text = message.replace(/\s+/g, ' ').trim();
  if (/executable file not found|no such file or directory/.test(text)) return conflict(`OCI runtime exec failed: ${text}: unknown`);
  return internal(`OCI runtime exec failed: ${text || 'exec failed'}: unknown`);
}

/** Newline-delimited `{"data": N, "message"?: "…"}` messages from one of conmon's pipes. */
class JsonMessages {
  private buf = '';
  private readonly queue: { data: number; message?: string }[] = [];
  private waiter: { resolve: (m: { data: number; message?: string }) => void; reject: (e: Error) => void } | undefined;
  private ended: Error | undefined;

  constructor(private readonly stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line === '') continue;
        try {
          const v = JSON.parse(line) as { data?: unknown; message?: unknown };
          if (typeof v.data === 'number') this.push({ data: v.data, ...(typeof v.message === 'string' ? { message: v.message } : {}) });
        } catch {
          this.finish(new Error(`unparsable conmon message ${JSON.stringify(line)}`));
        }
      }
    });
    stream.once('end', () => this.finish(new Error('conmon closed the pipe')));
    stream.once('close', () => this.finish(new Error('conmon closed the pipe')));
    stream.once('error', (e: Error) => this.finish(e));
  }

  private push(m: { data: number; message?: string }): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(m);
    } else this.queue.push(m);
  }

  private finish(err: Error): void {
    this.ended ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** The next message; `timeoutMs` 0 waits forever. */
  next(timeoutMs: number): Promise<{ data: number; message?: string }> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs) : undefined;
      this.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  destroy(): void {
    this.stream.destroy();
  }
}
