import { ClientError } from '../../../client/client-error.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { FlagSpec } from '../../argv/flag-parser.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { attachContainer, resizeToTerminal, type AttachSession } from './attach-session.js';
import { buildCreateOptions, CREATE_FLAGS, type CreateOptions } from './container-flags.js';
import { createContainer } from './create.js';

export interface RunOptions {
  create: CreateOptions;
  detach: boolean;
  detachKeys: string | undefined;
  sigProxy: boolean;
}

/** docker run's exit code for a failed start: 127 not found, 126 not executable, else 125. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory|not found/i.test(message)) return 127;
  if (/permission denied|cannot execute|exec format error/i.test(message)) return 126;
  return 125;
}

/** create → attach → wait (next-exit, or removed with --rm) → start → copy output → the container's exit code. */
export async function runContainer(ctx: CliContext, opts: RunOptions): Promise<number> {
  const fail = (err: unknown, code = 125): CliExit =>
    new CliExit(code, `${ctx.prog}: ${describeError(err)}\n\nRun '${ctx.prog} run --help' for more information`);
  const client = ctx.client();
  let id: string;
  try {
    id = await createContainer(ctx, opts.create, ctx.stderr);
  } catch (err) {
    throw fail(err);
  }
  const req = opts.create.request;
  if (opts.detach) {
    try {
      await client.containers.start(id);
    } catch (err) {
      throw fail(err, err instanceof ClientError ? startFailureCode(err.message) : 125);
    }
    ctx.out(`${id}\n`);
    return 0;
  }

  const { attach } = opts.create;
  let session: AttachSession | undefined;
  try {
    if (attach.stdin || attach.stdout || attach.stderr) {
      session = await attachContainer(ctx, id, { ...attach, tty: req.Tty === true }, opts.detachKeys ? { detachKeys: opts.detachKeys } : {});
    }
  } catch (err) {
    throw fail(err);
  }
  const autoRemove = req.HostConfig?.AutoRemove === true;
  const waited = client.containers.wait(id, { condition: autoRemove ? 'removed' : 'next-exit' });
  waited.catch(() => undefined);

  const forward = (signal: NodeJS.Signals): void => {
    client.containers.kill(id, { signal }).catch(() => undefined);
  };
  const proxied: NodeJS.Signals[] = opts.sigProxy && req.Tty !== true ? ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] : [];
  for (const s of proxied) process.on(s, forward);
  try {
    try {
      await client.containers.start(id);
    } catch (err) {
      session?.close();
      throw fail(err, err instanceof ClientError ? startFailureCode(err.message) : 125);
    }
    if (req.Tty) await resizeToTerminal(ctx, id);
    if (session) await session.output;
    // docker run: the detach keys end the client with status 0, the container runs on.
    if (session?.detached) return 0;
    const result = await waited.catch((err: unknown) => {
      throw fail(err);
    });
    if (result.Error?.Message) ctx.err(`${ctx.prog}: Error response from daemon: ${result.Error.Message}\n`);
    return result.StatusCode;
  } finally {
    for (const s of proxied) process.off(s, forward);
  }
}

export const runCommand: CommandSpec = {
  path: ['container', 'run'],
  aliases: [['run']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  args: { kind: 'min', count: 1 },
  stopAtFirstArg: true,
  flags: ([
    ...CREATE_FLAGS,
    { long: 'detach', short: 'd', kind: 'bool', description: 'Run container in background and print container ID' },
    { long: 'detach-keys', kind: 'string', description: 'Override the key sequence for detaching a container' },
    { long: 'sig-proxy', kind: 'bool', description: 'Proxy received signals to the process', defaultValue: true },
  ] as FlagSpec[]).sort((a, b) => a.long.localeCompare(b.long)),
  async run(ctx, flags, args) {
    let create: CreateOptions;
    try {
      create = buildCreateOptions(flags, args, ctx.env, { detach: flags.bool('detach') });
    } catch (err) {
      throw new CliExit(125, `${ctx.prog}: ${describeError(err)}\n\nRun '${ctx.prog} run --help' for more information`);
    }
    return runContainer(ctx, {
      create,
      detach: flags.bool('detach'),
      detachKeys: flags.string('detach-keys'),
      sigProxy: flags.has('sig-proxy') ? flags.bool('sig-proxy') : true,
    });
  },
};
