import type { CommandSpec } from '../../argv/command-spec.js';
import { filterFlag, formatFlag, parseFilters } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { IMAGES_DEFAULT_TABLE, IMAGES_DIGEST_TABLE, IMAGES_HEADERS, imageRows } from '../../format/image-row.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';

export interface ImageListOptions {
  reference: string | undefined;
  all: boolean;
  quiet: boolean;
  digests: boolean;
  noTrunc: boolean;
  filters: Record<string, string[]>;
  format: string | undefined;
}

export async function listImages(ctx: CliContext, opts: ImageListOptions): Promise<void> {
  const filters = { ...opts.filters };
  if (opts.reference) filters['reference'] = [...(filters['reference'] ?? []), opts.reference];
  const images = await ctx.client().images.list({ all: opts.all, filters });
  const format = opts.quiet ? '{{.ID}}' : opts.format;
  const rows = imageRows(images, { trunc: !opts.noTrunc, digests: opts.digests || (format?.includes('.Digest') ?? false) });
  ctx.out(renderList(rows, resolveListFormat(format, opts.digests ? IMAGES_DIGEST_TABLE : IMAGES_DEFAULT_TABLE), IMAGES_HEADERS));
}

export const imageLsCommand: CommandSpec = {
  path: ['image', 'ls'],
  aliases: [['image', 'list'], ['images']],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  args: { kind: 'max', count: 1 },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all images (default hides intermediate images)' },
    { long: 'digests', kind: 'bool', description: 'Show digests' },
    filterFlag,
    formatFlag(),
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx, flags, args) {
    await listImages(ctx, {
      reference: args[0],
      all: flags.bool('all'),
      quiet: flags.bool('quiet'),
      digests: flags.bool('digests'),
      noTrunc: flags.bool('no-trunc'),
      filters: parseFilters(flags.list('filter')),
      format: flags.string('format'),
    });
    return 0;
  },
};
