import { spawn } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { conflict, internal } from '../errors/engine-error.js';
import { JsonLineQueue } from './json-line-queue.js';
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
  const sync = conmonMessages(child.stdio[3] as Readable);
  const attachPipe = conmonMessages(child.stdio[4] as Readable);
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

/** A `{"data": N, "message"?: "…"}` message from one of conmon's pipes. */
interface ConmonMessage {
  readonly data: number;
  readonly message?: string;
}

/** conmon's newline-delimited messages on a pipe; lines without a numeric `data` are skipped. */
function conmonMessages(stream: Readable): JsonLineQueue<ConmonMessage> {
  const accept = (v: unknown): ConmonMessage | undefined => {
    const m = v as { data?: unknown; message?: unknown } | null;
    if (typeof m?.data !== 'number') return undefined;
    return { data: m.data, ...(typeof m.message === 'string' ? { message: m.message } : {}) };
  };
  return new JsonLineQueue(stream, accept, { closedMessage: 'conmon closed the pipe', sender: 'conmon' });
}
