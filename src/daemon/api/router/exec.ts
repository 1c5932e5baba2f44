import { DetachKeyScanner, parseDetachKeys } from '../../../engine/containers/detach-keys.js';
import { checkShape, execConfigShape } from '../../../engine/security/api-shape.js';
import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../../errors/engine-error.js';
import type { ContainerSupervisor } from '../../../engine/containers/supervisor.js';
import { createExec, type ExecCreateOptions } from '../../../engine/exec/create.js';
import { checkExecStartable, startExec, type ExecIo } from '../../../engine/exec/start.js';
import { inspectExec } from '../../../engine/exec/inspect.js';
import { resizeExecTty } from '../../../engine/exec/resize.js';
import type { ExecRecord } from '../../../engine/exec/exec-model.js';
import type { Router } from '../router.js';
import { queryInt, readJsonBody, type RequestContext } from '../request-context.js';
import { hijack, sendJson, sendStatus } from '../reply.js';
import { HijackedBody } from '../hijacked-body.js';
import { MULTIPLEXED_STREAM, RAW_STREAM, frame } from '../stdcopy.js';

export function registerExecRoutes(router: Router, sup: ContainerSupervisor): void {
  router.post('/containers/:id/exec', async (ctx) => {
    const body = await readJsonBody(ctx.req);
    checkShape(body, execConfigShape);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('No exec command specified');
    sendJson(ctx, 201, createExec(sup, ctx.params['id'] ?? '', body as ExecCreateOptions));
  });

  router.post('/exec/:id/start', (ctx) => handleExecStart(sup, ctx));

  router.get('/exec/:id/json', async (ctx) => {
    sendJson(ctx, 200, execInspectWire(await inspectExec(sup, ctx.params['id'] ?? '')));
  });

  router.post('/exec/:id/resize', async (ctx) => {
    await resizeExecTty(sup, ctx.params['id'] ?? '', queryInt(ctx.query, 'h') ?? 0, queryInt(ctx.query, 'w') ?? 0);
    sendStatus(ctx, 200);
  });
}

interface ExecStartBody {
  Detach?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
}

/**
 * POST /exec/{id}/start: detached starts answer 200 at once; attached ones
 * hijack the connection (101 for `Upgrade: tcp`) like container attach, and
 * the stream closes only after the exit code is recorded — the CLI inspects
 * it right after.
 */
async function handleExecStart(sup: ContainerSupervisor, ctx: RequestContext): Promise<void> {
  const { body, rest } = ctx.upgradeSocket ? await readUpgradeBody(ctx) : { body: await readJsonBody(ctx.req), rest: Buffer.alloc(0) };
  const opts = (typeof body === 'object' && body !== null ? body : {}) as ExecStartBody;
  const id = ctx.params['id'] ?? '';
  const e = checkExecStartable(sup, id);
  if (opts.Detach) {
    await startExec(sup, e.id, { detach: true, consoleSize: opts.ConsoleSize ?? null });
    sendStatus(ctx, 200);
    return;
  }
  // The start request's Tty decides the framing, not the exec's (moby postContainerExecStart): a TTY exec
  // started with Tty false is multiplexed, a plain one started with Tty true is raw.
  const tty = opts.Tty === true;
  const socket: Duplex = hijack(ctx, tty ? RAW_STREAM : MULTIPLEXED_STREAM);
  let closed = false;
  const pending: Buffer[] = rest.length > 0 ? [rest] : [];
  let stdinWriter: ((d: Buffer) => void) | undefined;
  let stdinCloser: (() => void) | undefined;
  let stdinEnded = false;
  const io: ExecIo = {
    write(stream, data) {
      if (!closed) socket.write(tty ? data : frame(stream, data));
    },
    end() {
      if (!closed) socket.end();
    },
    connectStdin(write, close) {
      stdinWriter = write;
      stdinCloser = close;
      for (const chunk of pending.splice(0)) write(chunk);
      if (stdinEnded) close();
    },
  };
  // moby's exec: with a TTY, stdin goes through the escape proxy (the exec's DetachKeys, else ctrl-p ctrl-q);
  // the sequence ends this client's stream and leaves the process running.
  const scanner = e.config.Tty ? new DetachKeyScanner(parseDetachKeys(e.config.DetachKeys)) : undefined;
  let detached = false;
  socket.on('data', (raw: Buffer) => {
    if (!e.config.AttachStdin || detached) return;
    const { data: chunk, detach } = scanner ? scanner.feed(raw) : { data: raw, detach: false };
    if (chunk.length > 0) {
      if (stdinWriter) stdinWriter(chunk);
      else pending.push(chunk);
    }
    if (detach) {
      detached = true;
      closed = true;
      socket.end();
    }
  });
  socket.on('end', () => {
    stdinEnded = true;
    if (!detached) stdinCloser?.();
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {
    closed = true;
  });
  socket.resume();
  try {
    await startExec(sup, e.id, { detach: false, consoleSize: opts.ConsoleSize ?? null, io });
  } catch (err) {
    io.write('stdout', Buffer.from(`${(err as Error).message}\r\n`));
    io.end();
  }
}

/** On an upgraded connection the JSON body arrives in the first bytes of the stream; what follows is stdin. */
async function readUpgradeBody(ctx: RequestContext): Promise<{ body: unknown; rest: Buffer }> {
  const head = ctx.upgradeHead ?? Buffer.alloc(0);
  const reader = new HijackedBody(ctx.req.headers, head);
  let rest = reader.strip(head);
  const socket = ctx.upgradeSocket;
  if (socket && !reader.complete) {
    rest = await new Promise<Buffer>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        const after = reader.strip(chunk);
        if (reader.complete) {
          socket.off('data', onData);
          socket.pause();
          resolve(after);
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.once('end', () => resolve(Buffer.alloc(0)));
    });
  }
  const text = reader.payload().toString('utf8').trim();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`invalid JSON: ${(err as Error).message}`);
  }
  return { body, rest };
}

function execInspectWire(e: ExecRecord): Record<string, unknown> {
  return {
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: e.config.DetachKeys,
    ExitCode: e.state.ExitCode,
    ID: e.id,
    OpenStderr: e.config.AttachStderr,
    OpenStdin: e.config.AttachStdin,
    OpenStdout: e.config.AttachStdout,
    ProcessConfig: {
      arguments: e.config.Cmd.slice(1),
      entrypoint: e.config.Cmd[0] ?? '',
      privileged: e.config.Privileged,
      tty: e.config.Tty,
      ...(e.config.User !== '' ? { user: e.config.User } : {}),
    },
    Running: e.state.Running,
    Pid: e.state.Pid,
  };
}
