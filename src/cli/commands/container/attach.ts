import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit } from '../../cli-errors.js';
import { attachContainer, resizeToTerminal } from './attach-session.js';

export interface AttachCliOptions {
  container: string;
  noStdin: boolean;
  sigProxy: boolean;
  detachKeys: string | undefined;
}

/**
 * docker attach: connects the terminal to a running container's stdio; the
 * exit status is the container's; the detach keys end it with status 1 and
 * "read escape sequence", as docker attach does (unlike docker run).
 */
export async function attachCli(ctx: CliContext, opts: AttachCliOptions): Promise<number> {
  const client = ctx.client();
  const info = await client.containers.inspect(opts.container);
  if (!info.State.Running) throw new CliExit(1, 'You cannot attach to a stopped container, start it first');
  if (info.State.Paused) throw new CliExit(1, 'You cannot attach to a paused container, unpause it first');
  const tty = info.Config.Tty === true;
  const id = info.Id;
  const waited = client.containers.wait(id, { condition: 'not-running' });
  waited.catch(() => undefined);
  const session = await attachContainer(
    ctx,
    id,
    { stdin: !opts.noStdin && info.Config.OpenStdin === true, stdout: true, stderr: true, tty },
    opts.detachKeys ? { detachKeys: opts.detachKeys } : {},
  );
  const forward = (signal: NodeJS.Signals): void => {
    client.containers.kill(id, { signal }).catch(() => undefined);
  };
  const proxied: NodeJS.Signals[] = opts.sigProxy && !tty ? ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] : [];
  for (const s of proxied) process.on(s, forward);
  const onWinch = (): void => void resizeToTerminal(ctx, id);
  if (tty) {
    await resizeToTerminal(ctx, id);
    process.on('SIGWINCH', onWinch);
  }
  try {
    await session.output;
    if (session.detached) throw new CliExit(1, 'read escape sequence');
    return (await waited).StatusCode;
  } finally {
    for (const s of proxied) process.off(s, forward);
    process.off('SIGWINCH', onWinch);
  }
}

export const attachCommand: CommandSpec = {
  path: ['container', 'attach'],
  aliases: [['attach']],
  usage: '[OPTIONS] CONTAINER',
  description: "Attach local standard input, output, and error streams to a running container",
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'detach-keys', kind: 'string', description: 'Override the key sequence for detaching a container' },
    { long: 'no-stdin', kind: 'bool', description: 'Do not attach STDIN' },
    { long: 'sig-proxy', kind: 'bool', description: 'Proxy all received signals to the process', defaultValue: true },
  ],
  run(ctx, flags, args) {
    return attachCli(ctx, {
      container: args[0] ?? '',
      noStdin: flags.bool('no-stdin'),
      sigProxy: flags.has('sig-proxy') ? flags.bool('sig-proxy') : true,
      detachKeys: flags.string('detach-keys'),
    });
  },
};
