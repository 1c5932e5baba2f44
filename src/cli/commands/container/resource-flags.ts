import type { FlagSpec, FlagValues } from '../../argv/flag-parser.js';

/** docker's resource flags shared by create/run and update (a memory flag may also be -1 for swap). */
export const RESOURCE_FLAGS: FlagSpec[] = [
  { long: 'blkio-weight', kind: 'int', valueName: 'uint16', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' },
  { long: 'cpu-period', kind: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { long: 'cpu-quota', kind: 'int', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { long: 'cpu-shares', short: 'c', kind: 'int', description: 'CPU shares (relative weight)' },
  { long: 'cpus', kind: 'string', valueName: 'decimal', description: 'Number of CPUs' },
  { long: 'cpuset-cpus', kind: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
  { long: 'cpuset-mems', kind: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)' },
  { long: 'memory-reservation', kind: 'string', valueName: 'bytes', description: 'Memory soft limit' },
  { long: 'memory-swap', kind: 'string', valueName: 'bytes', description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
  { long: 'pids-limit', kind: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
];

/** create/run only: limits that `docker update` cannot change. */
export const CREATE_ONLY_RESOURCE_FLAGS: FlagSpec[] = [
  { long: 'oom-kill-disable', kind: 'bool', description: 'Disable OOM Killer' },
  { long: 'shm-size', kind: 'string', valueName: 'bytes', description: 'Size of /dev/shm' },
  { long: 'ulimit', kind: 'list', valueName: 'ulimit', description: 'Ulimit options (default [])' },
];

/** `--ulimit nofile=100:200` (or `=100`) as Docker's Ulimit. */
export function parseUlimit(value: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value);
  if (!m) throw new Error(`invalid argument "${value}" for "--ulimit" flag: invalid ulimit argument: ${value}`);
  const soft = Number(m[2]);
  return { Name: m[1] ?? '', Soft: soft, Hard: m[3] === undefined ? soft : Number(m[3]) };
}

/** Resource fields from the flags that were given (`-m` is read by the caller's own flag set). */
export function resourceFields(flags: FlagValues, parseMemory: (v: string) => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const int = (flag: string, key: string): void => {
    const v = flags.int(flag);
    if (v !== undefined) out[key] = v;
  };
  int('blkio-weight', 'BlkioWeight');
  int('cpu-period', 'CpuPeriod');
  int('cpu-quota', 'CpuQuota');
  int('cpu-shares', 'CpuShares');
  int('pids-limit', 'PidsLimit');
  const cpus = flags.string('cpus');
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n)) throw new Error(`invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`);
    out['NanoCpus'] = Math.round(n * 1e9);
  }
  for (const [flag, key] of [['cpuset-cpus', 'CpusetCpus'], ['cpuset-mems', 'CpusetMems']] as const) {
    const v = flags.string(flag);
    if (v !== undefined) out[key] = v;
  }
  const reservation = flags.string('memory-reservation');
  if (reservation !== undefined) out['MemoryReservation'] = parseMemory(reservation);
  const swap = flags.string('memory-swap');
  if (swap !== undefined) out['MemorySwap'] = swap === '-1' ? -1 : parseMemory(swap);
  return out;
}

/** create/run's extra limits (see CREATE_ONLY_RESOURCE_FLAGS). */
export function createOnlyResourceFields(flags: FlagValues, parseMemory: (v: string) => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (flags.bool('oom-kill-disable')) out['OomKillDisable'] = true;
  const shm = flags.string('shm-size');
  if (shm !== undefined) out['ShmSize'] = parseMemory(shm);
  const ulimits = flags.list('ulimit').map(parseUlimit);
  if (ulimits.length > 0) out['Ulimits'] = ulimits;
  return out;
}
