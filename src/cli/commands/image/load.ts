import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { displayJsonMessages } from '../../format/json-progress.js';
import { copyRaw } from '../../../client/stream-frames.js';

export interface LoadOptions {
  input: string | undefined;
  quiet: boolean;
  platform: string | undefined;
}

export async function loadImages(ctx: CliContext, opts: LoadOptions): Promise<void> {
  let body: Readable;
  if (opts.input) {
    body = createReadStream(opts.input);
    // Surface a missing file before talking to the daemon, with Go's wording.
    await new Promise<void>((resolve, reject) => {
      body.once('open', () => resolve());
      body.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'ENOENT' ? `open ${opts.input}: no such file or directory` : err.message)),
      );
    });
  } else {
    if (ctx.stdin.isTTY) throw new Error('requested load from stdin, but stdin is empty');
    body = ctx.stdin;
  }
  const res = await ctx.client().images.load(body, { quiet: opts.quiet, ...(opts.platform ? { platform: opts.platform } : {}) });
  if (String(res.headers['content-type'] ?? '').includes('application/json')) await displayJsonMessages(res, ctx.stdout);
  else await copyRaw(res, ctx.stdout);
}

export const loadCommand: CommandSpec = {
  path: ['image', 'load'],
  aliases: [['load']],
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive or STDIN',
  args: { kind: 'none' },
  flags: [
    { long: 'input', short: 'i', kind: 'string', description: 'Read from tar archive file, instead of STDIN' },
    { long: 'platform', kind: 'string', description: 'Load only the given platform variant.' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the load output' },
  ],
  async run(ctx, flags) {
    await loadImages(ctx, { input: flags.string('input'), quiet: flags.bool('quiet'), platform: flags.string('platform') });
    return 0;
  },
};
