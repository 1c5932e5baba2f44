import { createWriteStream, renameSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';

export interface SaveOptions {
  images: string[];
  output: string | undefined;
  platform: string | undefined;
}

export async function saveImages(ctx: CliContext, opts: SaveOptions): Promise<void> {
  if (!opts.output && ctx.stdout.isTTY) {
    throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  }
  const res = await ctx.client().images.save(opts.images, opts.platform ? { platform: opts.platform } : {});
  if (!opts.output) {
    await pipeline(res, ctx.stdout, { end: false });
    return;
  }
  // As docker: write beside the target and rename, so a failed save leaves no partial file.
  const tmp = join(dirname(opts.output), `.${basename(opts.output)}.berth-tmp-${process.pid}`);
  try {
    await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
    renameSync(tmp, opts.output);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up.
    }
    throw new Error(`failed to save image: ${(err as Error).message}`);
  }
}

export const saveCommand: CommandSpec = {
  path: ['image', 'save'],
  aliases: [['save']],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: { kind: 'min', count: 1 },
  flags: [
    { long: 'output', short: 'o', kind: 'string', description: 'Write to a file, instead of STDOUT' },
    { long: 'platform', kind: 'string', description: 'Save only the given platform variant.' },
  ],
  async run(ctx, flags, args) {
    await saveImages(ctx, { images: args, output: flags.string('output'), platform: flags.string('platform') });
    return 0;
  },
};
