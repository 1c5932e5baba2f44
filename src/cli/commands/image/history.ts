import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import { HISTORY_DEFAULT_TABLE, HISTORY_HEADERS, HistoryRow } from '../../format/history-row.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';

export const historyCommand: CommandSpec = {
  path: ['image', 'history'],
  aliases: [['history']],
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  args: { kind: 'exact', count: 1 },
  flags: [
    formatFlag(),
    { long: 'human', short: 'H', kind: 'bool', description: 'Print sizes and dates in human readable format', defaultValue: true },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
    { long: 'platform', kind: 'string', description: 'Show history for the given platform.' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
  ],
  async run(ctx, flags, args) {
    const history = await ctx.client().images.history(args[0] ?? '');
    const rows = history.map((h) => new HistoryRow(h, !flags.bool('no-trunc'), flags.bool('human')));
    const format = flags.bool('quiet') ? '{{.ID}}' : flags.string('format');
    ctx.out(renderList(rows, resolveListFormat(format, HISTORY_DEFAULT_TABLE), HISTORY_HEADERS));
    return 0;
  },
};
