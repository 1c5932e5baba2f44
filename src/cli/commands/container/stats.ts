import { readJsonLines } from '../../../client/json-lines.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { bytesSize, humanSize } from '../../format/human-size.js';
import { renderList, resolveListFormat } from '../../format/row-format.js';
import { truncateId } from '../../format/truncate.js';

/** The parts of Docker's stats JSON the table reads. */
interface StatsJson {
  id: string;
  name: string;
  read: string;
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsRow {
  ID: string;
  Container: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
const HEADERS = {
  ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

/** docker's stats arithmetic (cli/command/container/stats_helpers.go). */
export function statsRow(s: StatsJson, asked: string): StatsRow {
  const cpu = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 0;
  const cpuPerc = cpuDelta > 0 && sysDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const mem = s.memory_stats ?? {};
  const stat = mem.stats ?? {};
  const cache = stat['total_inactive_file'] !== undefined && stat['total_inactive_file'] < (mem.usage ?? 0) ? stat['total_inactive_file'] : stat['inactive_file'] !== undefined && stat['inactive_file'] < (mem.usage ?? 0) ? stat['inactive_file'] : 0;
  const used = (mem.usage ?? 0) - cache;
  const limit = mem.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (e.op.toLowerCase() === 'read') read += e.value;
    else if (e.op.toLowerCase() === 'write') write += e.value;
  }
  const running = !s.read.startsWith('0001-');
  return {
    ID: truncateId(s.id),
    Container: asked,
    Name: s.name.replace(/^\//, '') || '--',
    CPUPerc: running ? `${cpuPerc.toFixed(2)}%` : '0.00%',
    MemUsage: running ? `${bytesSize(used)} / ${bytesSize(limit)}` : '0B / 0B',
    MemPerc: running && limit > 0 ? `${((used / limit) * 100).toFixed(2)}%` : '0.00%',
    NetIO: `${humanSize(rx)} / ${humanSize(tx)}`,
    BlockIO: `${humanSize(read)} / ${humanSize(write)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

async function sample(ctx: CliContext, id: string): Promise<StatsJson | undefined> {
  const res = await ctx.client().transport.request('GET', `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: 'false' } });
  for await (const s of readJsonLines<StatsJson>(res)) return s;
  return undefined;
}

export const statsCommand: CommandSpec = {
  path: ['container', 'stats'],
  aliases: [['stats']],
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  args: { kind: 'min', count: 0 },
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
    { long: 'format', kind: 'string', description: 'Format output using a custom template' },
    { long: 'no-stream', kind: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { long: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
  ],
  async run(ctx, flags, args) {
    const format = resolveListFormat(flags.string('format'), DEFAULT_FORMAT);
    const targets = async (): Promise<string[]> =>
      args.length > 0 ? args : (await ctx.client().containers.list({ all: flags.bool('all') })).map((c) => c.Id);
    const render = async (): Promise<string> => {
      const ids = await targets();
      const rows = await Promise.all(
        ids.map(async (id) => {
          const s = await sample(ctx, id);
          if (!s) return undefined;
          const row = statsRow(s, id);
          return flags.bool('no-trunc') ? { ...row, ID: s.id } : row;
        }),
      );
      return renderList(rows.filter((r): r is StatsRow => r !== undefined), format, HEADERS);
    };
    if (flags.bool('no-stream')) {
      ctx.out(await render());
      return 0;
    }
    let stopped = false;
    const stop = (): void => {
      stopped = true;
    };
    process.once('SIGINT', stop);
    try {
      while (!stopped) {
        const text = await render();
        // docker redraws the table in place on a terminal.
        ctx.out(ctx.stdout.isTTY ? `\x1b[2J\x1b[H${text}` : text);
      }
    } finally {
      process.off('SIGINT', stop);
    }
    return 0;
  },
};
