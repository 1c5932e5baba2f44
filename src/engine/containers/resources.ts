import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { internal, invalidArgument } from '../../errors/engine-error.js';
import type { OciResources } from '../../runtime/oci-spec-types.js';
import type { HostConfig } from './container-model.js';
import type { Ulimit } from './oci-spec.js';

/** HostConfig's resource fields (Docker's container.Resources), as the engine reads them. */
export interface ResourceFields {
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  KernelMemory?: number;
  CpuPercent?: number;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
}

const MIN_MEMORY = 6 * 1024 * 1024;

const fields = (h: HostConfig | ResourceFields): ResourceFields => h as ResourceFields;

/** What this host's cgroups can enforce (moby sysinfo), probed once. */
interface CgroupSupport {
  swap: boolean;
  blkioWeight: boolean;
  /** RT group scheduling: cgroup v1 cpu.rt_runtime_us (moby sysinfo CPURealtime; never on v2). */
  cpuRealtime: boolean;
  blkioWeightDevice: boolean;
  cpus: number;
  cpuset: string;
  mems: string;
}
let support: Promise<CgroupSupport> | undefined;

async function probe(): Promise<CgroupSupport> {
  const exists = (p: string): Promise<boolean> =>
    access(p).then(
      () => true,
      () => false,
    );
  const v2 = await exists('/sys/fs/cgroup/cgroup.controllers');
  const read = (p: string): Promise<string> => readFile(p, 'utf8').then((t) => t.trim(), () => '');
  if (v2) {
    return {
      swap: await exists('/sys/fs/cgroup/memory.swap.max').then((x) => x || exists('/sys/fs/cgroup/init.scope/memory.swap.max')),
      blkioWeight: true,
      cpuRealtime: false,
      blkioWeightDevice: true,
      cpus: availableParallelism(),
      cpuset: (await read('/sys/fs/cgroup/cpuset.cpus.effective')) || `0-${availableParallelism() - 1}`,
      mems: (await read('/sys/fs/cgroup/cpuset.mems.effective')) || '0',
    };
  }
  return {
    swap: await exists('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    // The weight file lives in child cgroups (CFQ's blkio.weight or BFQ's blkio.bfq.weight), not in the root.
    blkioWeight: (await exists('/sys/fs/cgroup/blkio/blkio.weight')) || (await exists('/sys/fs/cgroup/blkio/blkio.bfq.io_serviced')),
    cpuRealtime: (await exists('/sys/fs/cgroup/cpu/cpu.rt_period_us')) && (await exists('/sys/fs/cgroup/cpu/cpu.rt_runtime_us')),
    // moby sysinfo: per-device weights need CFQ's blkio.weight_device (absent with blk-mq schedulers).
    blkioWeightDevice: await exists('/sys/fs/cgroup/blkio/blkio.weight_device'),
    cpus: availableParallelism(),
    cpuset: (await read('/sys/fs/cgroup/cpuset/cpuset.effective_cpus')) || (await read('/sys/fs/cgroup/cpuset/cpuset.cpus')) || `0-${availableParallelism() - 1}`,
    mems: (await read('/sys/fs/cgroup/cpuset/cpuset.effective_mems')) || (await read('/sys/fs/cgroup/cpuset/cpuset.mems')) || '0',
  };
}

/** Parses a cpuset list ("0-2,4") into its members; throws Docker's error for bad syntax. */
export function parseCpuset(list: string, what: string): Set<number> {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw invalidArgument(`Invalid value ${list} for ${what}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw invalidArgument(`Invalid value ${list} for ${what}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/**
 * Checks the resource fields the way dockerd does (verifyContainerResources)
 * and adapts them in place: MemorySwap defaults to twice Memory, settings the
 * host cannot enforce are dropped with Docker's warning. Returns the warnings.
 */
export async function adaptResources(h: HostConfig | ResourceFields): Promise<string[]> {
  const r = fields(h);
  const host = await (support ??= probe());
  const warnings: string[] = [];
  const memory = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  const reservation = r.MemoryReservation ?? 0;
  if (memory < 0 || reservation < 0) throw invalidArgument('Invalid value: memory can not be negative');
  if (memory > 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (swap > 0 && memory === 0) throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (memory > 0 && swap > 0 && swap < memory) throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (reservation > 0 && reservation < MIN_MEMORY) throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && swap === 0) {
    if (host.swap) r.MemorySwap = memory * 2;
  } else if (swap !== 0 && !host.swap) {
    warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  const swappiness = r.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw invalidArgument(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const kernelMemory = r.KernelMemory ?? 0;
  if (kernelMemory > 0 && kernelMemory < MIN_MEMORY) throw invalidArgument('Minimum kernel memory limit allowed is 6MB');
  // dockerd 20.10 verifyPlatformContainerResources (the API router zeroes the field from API 1.42 on).
  if (kernelMemory > 0) warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
  if (r.OomKillDisable === true && memory === 0) {
    warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }

  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || nano > host.cpus * 1e9) {
    throw invalidArgument(`Range of CPUs is from 0.01 to ${host.cpus.toFixed(2)}, as there are only ${host.cpus} CPUs available`);
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) {
    throw invalidArgument('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = r.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.CpuShares ?? 0) < 0) throw invalidArgument('shares: invalid argument');
  // dockerd verifyPlatformContainerResources; its plain errors are 500s.
  const rtPeriod = r.CpuRealtimePeriod ?? 0;
  const rtRuntime = r.CpuRealtimeRuntime ?? 0;
  if (rtPeriod > 0 && !host.cpuRealtime) throw internal('Your kernel does not support cgroup cpu real-time period');
  if (rtRuntime > 0 && !host.cpuRealtime) throw internal('Your kernel does not support cgroup cpu real-time runtime');
  if (rtPeriod !== 0 && rtRuntime !== 0 && rtRuntime > rtPeriod) throw internal('cpu real-time runtime cannot be higher than cpu real-time period');
  for (const [key, available, what] of [
    ['CpusetCpus', host.cpuset, 'cpuset cpus'],
    ['CpusetMems', host.mems, 'cpuset mems'],
  ] as const) {
    const want = r[key] ?? '';
    if (want === '') continue;
    const have = parseCpuset(available, what);
    for (const n of parseCpuset(want, what)) {
      if (!have.has(n)) {
        throw invalidArgument(`Requested ${key === 'CpusetCpus' ? 'CPUs' : 'memory nodes'} are not available - requested ${want}, available: ${available}`);
      }
    }
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw invalidArgument('Range of blkio weight is from 10 to 1000');
  if (weight > 0 && !host.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  if ((r.BlkioWeightDevice ?? []).length > 0 && !host.blkioWeightDevice) {
    warnings.push('Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
    r.BlkioWeightDevice = [];
  }
  // Windows-only; dockerd on Linux discards it with this warning (CpuCount it stores silently).
  if ((r.CpuPercent ?? 0) > 0) {
    warnings.push('linux does not support CPU percent. Percent discarded.');
    r.CpuPercent = 0;
  }
  for (const u of r.Ulimits ?? []) {
    if (u.Soft > u.Hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
  }
  return warnings;
}

/** HostConfig → OCI linux.resources (moby's getMemoryResources / getCPUResources / getPidsLimit / getBlkioWeight). */
export function ociResources(h: HostConfig | ResourceFields): Omit<OciResources, 'devices'> {
  const r = fields(h);
  const out: Omit<OciResources, 'devices'> = {};
  const memory: NonNullable<OciResources['memory']> = {};
  if ((r.Memory ?? 0) > 0) memory.limit = r.Memory ?? 0;
  if ((r.MemoryReservation ?? 0) > 0) memory.reservation = r.MemoryReservation ?? 0;
  if ((r.MemorySwap ?? 0) !== 0 && (r.Memory ?? 0) > 0) memory.swap = r.MemorySwap ?? 0;
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness >= 0) memory.swappiness = r.MemorySwappiness;
  if (r.OomKillDisable === true) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) out.memory = memory;

  const cpu: NonNullable<OciResources['cpu']> = {};
  if ((r.CpuShares ?? 0) > 0) cpu.shares = r.CpuShares ?? 0;
  if ((r.NanoCpus ?? 0) > 0) {
    // Docker: a fixed 100 ms period and the quota that gives NanoCpus/1e9 CPUs.
    cpu.period = 100_000;
    cpu.quota = Math.round(((r.NanoCpus ?? 0) * 100_000) / 1e9);
  } else {
    if ((r.CpuPeriod ?? 0) > 0) cpu.period = r.CpuPeriod ?? 0;
    if ((r.CpuQuota ?? 0) !== 0) cpu.quota = r.CpuQuota ?? 0;
  }
  // moby getCPUResources; with no RT budget in the parent cgroup runc's write fails at start, as under dockerd.
  if ((r.CpuRealtimePeriod ?? 0) !== 0) cpu.realtimePeriod = r.CpuRealtimePeriod ?? 0;
  if ((r.CpuRealtimeRuntime ?? 0) !== 0) cpu.realtimeRuntime = r.CpuRealtimeRuntime ?? 0;
  if ((r.CpusetCpus ?? '') !== '') cpu.cpus = r.CpusetCpus ?? '';
  if ((r.CpusetMems ?? '') !== '') cpu.mems = r.CpusetMems ?? '';
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  const pids = r.PidsLimit;
  if (pids !== undefined && pids !== null && pids !== 0) out.pids = { limit: pids > 0 ? pids : -1 };
  if ((r.BlkioWeight ?? 0) > 0) out.blockIO = { weight: r.BlkioWeight ?? 0 };
  return out;
}

/** HostConfig.Ulimits → the spec builder's ulimits (it checks them against the daemon's own hard limits). */
export function specUlimits(h: HostConfig | ResourceFields): Ulimit[] {
  return (fields(h).Ulimits ?? []).map((u) => ({ name: u.Name, soft: u.Soft, hard: u.Hard }));
}
