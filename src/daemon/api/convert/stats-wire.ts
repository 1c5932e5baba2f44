import { totalmem } from 'node:os';
import type { StatsSample } from '../../../engine/containers/stats.js';

const ZERO = '0001-01-01T00:00:00Z';

function cpuStats(s: StatsSample | undefined): Record<string, unknown> {
  const g = s?.cgroup;
  if (!s || !g) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  return {
    cpu_usage: {
      total_usage: g.cpuTotalNs,
      ...(g.perCpuNs ? { percpu_usage: g.perCpuNs } : {}),
      usage_in_kernelmode: g.cpuKernelNs,
      usage_in_usermode: g.cpuUserNs,
    },
    system_cpu_usage: s.systemCpuNs,
    online_cpus: s.onlineCpus,
    throttling_data: g.throttling,
  };
}

/** Docker's container stats JSON (types.StatsJSON, the Linux fields). */
export function statsWire(current: StatsSample, previous: StatsSample | undefined): Record<string, unknown> {
  const g = current.cgroup;
  return {
    read: g ? current.read : ZERO,
    preread: previous?.cgroup ? previous.read : ZERO,
    pids_stats: g ? { current: g.pidsCurrent, ...(g.pidsLimit ? { limit: g.pidsLimit } : {}) } : {},
    blkio_stats: {
      io_service_bytes_recursive: g ? g.ioBytes : null,
      io_serviced_recursive: g ? g.ioOps : null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(current),
    precpu_stats: cpuStats(previous),
    memory_stats: g
      ? {
          usage: g.memoryUsage,
          ...(g.memoryMaxUsage !== undefined ? { max_usage: g.memoryMaxUsage } : {}),
          stats: g.memoryStat,
          ...(g.memoryFailcnt !== undefined ? { failcnt: g.memoryFailcnt } : {}),
          limit: g.memoryLimit || hostMemory(g),
        }
      : {},
    name: `/${current.name}`,
    id: current.id,
    ...(current.networks ? { networks: current.networks } : {}),
  };
}

/** An unlimited cgroup reports the host's memory as its limit, as Docker does. */
function hostMemory(g: NonNullable<StatsSample['cgroup']>): number {
  return g.memoryStat['hierarchical_memory_limit'] && g.memoryStat['hierarchical_memory_limit'] < 2 ** 62 ? g.memoryStat['hierarchical_memory_limit'] : totalmem();
}
