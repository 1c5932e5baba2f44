import { copyRaw, demuxStream } from '../../../client/stream-frames.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';

export interface LogsOptions {
  container: string;
  follow: boolean;
  since: string | undefined;
  until: string | undefined;
  timestamps: boolean;
  tail: string;
  details: boolean;
}

/** Relative durations ("42m", "1h30m", "10s") become a Unix timestamp as docker's timetypes does; others pass through. */
export function toApiTimestamp(value: string | undefined, now: Date = new Date()): string | undefined {
  if (value === undefined || value === '') return undefined;
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) !== null) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 1);
    matched += m[0].length;
  }
  if (matched === value.length && matched > 0) return ((now.getTime() / 1000) - total).toFixed(9);
  const parsed = Date.parse(value);
  if (!Number.isNaN(parsed) && !/^\d+(\.\d+)?$/.test(value)) return (parsed / 1000).toFixed(9);
  return value;
}

export async function showLogs(ctx: CliContext, opts: LogsOptions): Promise<void> {
  const client = ctx.client();
  const info = await client.containers.inspect(opts.container);
  const since = toApiTimestamp(opts.since);
  const until = toApiTimestamp(opts.until);
  const stream = await client.containers.logs(opts.container, {
    follow: opts.follow,
    timestamps: opts.timestamps,
    tail: opts.tail,
    details: opts.details,
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  });
  if (info.Config.Tty) await copyRaw(stream, ctx.stdout);
  else await demuxStream(stream, ctx.stdout, ctx.stderr);
}

export const logsCommand: CommandSpec = {
  path: ['container', 'logs'],
  aliases: [['logs']],
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'details', kind: 'bool', description: 'Show extra details provided to logs' },
    { long: 'follow', short: 'f', kind: 'bool', description: 'Follow log output' },
    { long: 'since', kind: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { long: 'tail', short: 'n', kind: 'string', description: 'Number of lines to show from the end of the logs', defaultValue: 'all' },
    { long: 'timestamps', short: 't', kind: 'bool', description: 'Show timestamps' },
    { long: 'until', kind: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  async run(ctx, flags, args) {
    await showLogs(ctx, {
      container: args[0] ?? '',
      follow: flags.bool('follow'),
      since: flags.string('since'),
      until: flags.string('until'),
      timestamps: flags.bool('timestamps'),
      tail: flags.string('tail') ?? 'all',
      details: flags.bool('details'),
    });
    return 0;
  },
};
