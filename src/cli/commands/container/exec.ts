import type { Duplex } from 'node:stream';
import { ExecApi, type ExecCreateRequest } from '../../../client/exec-api.js';
import { copyRaw, demuxStream } from '../../../client/stream-frames.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { readKeyValueFile, resolveEnv } from './container-flags.js';

export interface ExecOptions {
  container: string;
  request: ExecCreateRequest;
  detach: boolean;
}

/** create → start (attached: copy streams until the daemon closes, which is after the exit was recorded) → inspect's exit code. */
export async function execInContainer(ctx: CliContext, opts: ExecOptions): Promise<number> {
  const api = new ExecApi(ctx.client().transport);
  const { Id: id } = await api.create(opts.container, opts.request);
  if (opts.detach) {
    await api.startDetached(id);
    return 0;
  }
  const tty = opts.request.Tty === true;
  const conn = await api.startAttached(id, {
    tty,
    ...(tty && ctx.stdout.isTTY && ctx.stdout.rows && ctx.stdout.columns ? { consoleSize: [ctx.stdout.rows, ctx.stdout.columns] as [number, number] } : {}),
  });
  const socket: Duplex = conn.socket;
  let rawMode = false;
  if (opts.request.AttachStdin) {
    if (tty && ctx.stdin.isTTY && ctx.stdin.setRawMode) {
      ctx.stdin.setRawMode(true);
      rawMode = true;
    }
    ctx.stdin.on('data', (chunk: Buffer) => {
      if (!socket.write(chunk)) {
        ctx.stdin.pause();
        socket.once('drain', () => ctx.stdin.resume());
      }
    });
    ctx.stdin.once('end', () => socket.end());
    ctx.stdin.on('error', () => socket.end());
  }
  const onResize = (): void => {
    const { rows, columns } = ctx.stdout;
    if (rows && columns) api.resize(id, { height: rows, width: columns }).catch(() => undefined);
  };
  if (tty && ctx.stdout.isTTY) process.on('SIGWINCH', onResize);
  try {
    if (tty) await copyRaw(socket, ctx.stdout, conn.head);
    else await demuxStream(socket, ctx.stdout, ctx.stderr, conn.head);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
  } finally {
    if (rawMode) ctx.stdin.setRawMode?.(false);
    if (opts.request.AttachStdin) ctx.stdin.pause();
    process.off('SIGWINCH', onResize);
    socket.destroy();
  }
  const inspected = await api.inspect(id);
  return inspected.ExitCode ?? 0;
}

export const execCommand: CommandSpec = {
  path: ['container', 'exec'],
  aliases: [['exec']],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  args: { kind: 'min', count: 2 },
  stopAtFirstArg: true,
  flags: [
    { long: 'detach', short: 'd', kind: 'bool', description: 'Detached mode: run command in the background' },
    { long: 'detach-keys', kind: 'string', description: 'Override the key sequence for detaching a container' },
    { long: 'env', short: 'e', kind: 'list', description: 'Set environment variables' },
    { long: 'env-file', kind: 'list', description: 'Read in a file of environment variables' },
    { long: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
    { long: 'privileged', kind: 'bool', description: 'Give extended privileges to the command' },
    { long: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
    { long: 'user', short: 'u', kind: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { long: 'workdir', short: 'w', kind: 'string', description: 'Working directory inside the container' },
  ],
  async run(ctx, flags, args) {
    const [container, ...cmd] = args;
    let env: string[];
    try {
      env = resolveEnv([...flags.list('env-file').flatMap(readKeyValueFile), ...flags.list('env')], ctx.env);
    } catch (err) {
      throw new CliExit(125, `${ctx.prog}: ${describeError(err)}\n\nRun '${ctx.prog} exec --help' for more information`);
    }
    const detach = flags.bool('detach');
    const interactive = flags.bool('interactive');
    const detachKeys = flags.string('detach-keys');
    const user = flags.string('user');
    const workdir = flags.string('workdir');
    const request: ExecCreateRequest = {
      Cmd: cmd,
      Tty: flags.bool('tty'),
      AttachStdin: interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Privileged: flags.bool('privileged'),
      Env: env,
      ...(user !== undefined ? { User: user } : {}),
      ...(workdir !== undefined ? { WorkingDir: workdir } : {}),
      ...(detachKeys !== undefined ? { DetachKeys: detachKeys } : {}),
    };
    return execInContainer(ctx, { container: container ?? '', request, detach });
  },
};
