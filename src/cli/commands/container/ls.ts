import type { CommandSpec } from '../../argv/command-spec.js';
import { filterFlag, formatFlag, parseFilters } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { ContainerRow, PS_DEFAULT_TABLE, PS_HEADERS, PS_SIZE_TABLE } from '../../format/container-row.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';

export interface ListOptions {
  all: boolean;
  quiet: boolean;
  size: boolean;
  noTrunc: boolean;
  last: number;
  latest: boolean;
  filters: Record<string, string[]>;
  format: string | undefined;
}

export async function listContainers(ctx: CliContext, opts: ListOptions): Promise<void> {
  let format = opts.format;
  if (opts.quiet && format !== undefined && format !== '') {
    ctx.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  }
  if (opts.quiet) format = '{{.ID}}';
  // docker ps fetches sizes when the template asks for them.
  const size = opts.size || (format !== undefined && format.includes('.Size'));
  const limit = opts.latest ? 1 : opts.last;
  const containers = await ctx.client().containers.list({
    all: opts.all || limit > 0,
    ...(limit > 0 ? { limit } : {}),
    size,
    filters: opts.filters,
  });
  const rows = containers.map((c) => new ContainerRow(c, !opts.noTrunc));
  const resolved = resolveListFormat(format, opts.size ? PS_SIZE_TABLE : PS_DEFAULT_TABLE);
  ctx.out(renderList(rows, resolved, PS_HEADERS));
}

export const lsCommand: CommandSpec = {
  path: ['container', 'ls'],
  aliases: [['container', 'list'], ['container', 'ps'], ['ps']],
  usage: '[OPTIONS]',
  description: 'List containers',
  args: { kind: 'none' },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
    filterFlag,
    formatFlag(),
    { long: 'last', short: 'n', kind: 'int', description: 'Show n last created containers (includes all states)', defaultValue: -1 },
    { long: 'latest', short: 'l', kind: 'bool', description: 'Show the latest created container (includes all states)' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display container IDs' },
    { long: 'size', short: 's', kind: 'bool', description: 'Display total file sizes' },
  ],
  async run(ctx, flags) {
    await listContainers(ctx, {
      all: flags.bool('all'),
      quiet: flags.bool('quiet'),
      size: flags.bool('size'),
      noTrunc: flags.bool('no-trunc'),
      last: flags.int('last') ?? -1,
      latest: flags.bool('latest'),
      filters: parseFilters(flags.list('filter')),
      format: flags.string('format'),
    });
    return 0;
  },
};
