import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { readJsonLines, type JsonMessage } from '../../../client/json-lines.js';
import { StreamError } from '../../format/json-progress.js';
import { parseReference } from '../../format/image-reference.js';

export interface ImportOptions {
  source: string;
  reference: string | undefined;
  changes: string[];
  message: string | undefined;
  platform: string | undefined;
}

/** Uploads a rootfs tarball (file, `-` for stdin, or a URL for the daemon) and prints the new image id. */
export async function importImage(ctx: CliContext, opts: ImportOptions): Promise<void> {
  let body: Readable | undefined;
  let fromSrc = opts.source;
  if (opts.source === '-') body = ctx.stdin;
  else if (!/^(https?):\/\//.test(opts.source)) {
    body = createReadStream(opts.source);
    await new Promise<void>((resolve, reject) => {
      body?.once('open', () => resolve());
      body?.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'ENOENT' ? `open ${opts.source}: no such file or directory` : err.message)),
      );
    });
    fromSrc = '-';
  }
  let repo: string | undefined;
  let tag: string | undefined;
  if (opts.reference) {
    const p = parseReference(opts.reference);
    tag = p.tag;
    repo = p.tag ? opts.reference.slice(0, opts.reference.length - p.tag.length - 1) : opts.reference;
  }
  const res = await ctx.client().images.import(body, {
    fromSrc,
    ...(repo ? { repo } : {}),
    ...(tag ? { tag } : {}),
    ...(opts.message ? { message: opts.message } : {}),
    changes: opts.changes,
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
  for await (const msg of readJsonLines<JsonMessage>(res)) {
    if (msg.error || msg.errorDetail?.message) throw new StreamError(msg.errorDetail?.message ?? msg.error ?? 'unknown error');
    if (msg.status && !msg.progressDetail?.current) ctx.out(`${msg.status}\n`);
  }
}

export const importCommand: CommandSpec = {
  path: ['image', 'import'],
  aliases: [['import']],
  usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  args: { kind: 'range', min: 1, max: 2 },
  flags: [
    { long: 'change', short: 'c', kind: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { long: 'message', short: 'm', kind: 'string', description: 'Set commit message for imported image' },
    { long: 'platform', kind: 'string', description: 'Set platform if server is multi-platform capable' },
  ],
  async run(ctx, flags, args) {
    await importImage(ctx, {
      source: args[0] ?? '-',
      reference: args[1],
      changes: flags.list('change'),
      message: flags.string('message'),
      platform: flags.string('platform'),
    });
    return 0;
  },
};
