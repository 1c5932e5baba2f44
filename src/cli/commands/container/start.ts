import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { ConnectionError } from '../../../client/client-error.js';
import { attachContainer, resizeToTerminal } from './attach-session.js';

export interface StartOptions {
  containers: string[];
  attach: boolean;
  interactive: boolean;
  detachKeys: string | undefined;
}

/** Attached start: attach → wait(next-exit) → start → copy output → the container's exit code. */
async function startAttached(ctx: CliContext, name: string, opts: StartOptions): Promise<number> {
  const client = ctx.client();
  const info = await client.containers.inspect(name);
  const tty = info.Config.Tty === true;
  const session = await attachContainer(
    ctx,
    name,
    { stdin: opts.interactive && info.Config.OpenStdin === true, stdout: true, stderr: true, tty },
    opts.detachKeys ? { detachKeys: opts.detachKeys } : {},
  );
  const waited = client.containers.wait(name, { condition: info.HostConfig.AutoRemove ? 'removed' : 'next-exit' });
  waited.catch(() => undefined);
  try {
    await client.containers.start(name, opts.detachKeys ? { detachKeys: opts.detachKeys } : {});
  } catch (err) {
    session.close();
    throw err;
  }
  if (tty) await resizeToTerminal(ctx, name);
  await session.output;
  return (await waited).StatusCode;
}

export async function startContainers(ctx: CliContext, opts: StartOptions): Promise<number> {
  if (opts.attach || opts.interactive) {
    if (opts.containers.length > 1) throw new Error('you cannot start and attach multiple containers at once');
    return startAttached(ctx, opts.containers[0] ?? '', opts);
  }
  const failed: string[] = [];
  for (const name of opts.containers) {
    try {
      await ctx.client().containers.start(name);
      ctx.out(`${name}\n`);
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      ctx.err(`${describeError(err)}\n`);
      failed.push(name);
    }
  }
  if (failed.length > 0) throw new CliExit(1, `Error: failed to start containers: ${failed.join(', ')}`);
  return 0;
}

export const startCommand: CommandSpec = {
  path: ['container', 'start'],
  aliases: [['start']],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  args: { kind: 'min', count: 1 },
  flags: [
    { long: 'attach', short: 'a', kind: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { long: 'detach-keys', kind: 'string', description: 'Override the key sequence for detaching a container' },
    { long: 'interactive', short: 'i', kind: 'bool', description: "Attach container's STDIN" },
  ],
  run(ctx, flags, args) {
    return startContainers(ctx, {
      containers: args,
      attach: flags.bool('attach'),
      interactive: flags.bool('interactive'),
      detachKeys: flags.string('detach-keys'),
    });
  },
};
