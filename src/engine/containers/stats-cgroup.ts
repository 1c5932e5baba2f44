import { readFile } from 'node:fs/promises';

/** One reading of a container's cgroup, in the units Docker's stats use (ns, bytes). */
export interface CgroupSample {
  cpuTotalNs: number;
  cpuUserNs: number;
  cpuKernelNs: number;
  perCpuNs: number[] | undefined;
  throttling: { periods: number; throttled_periods: number; throttled_time: number };
  memoryUsage: number;
  memoryMaxUsage: number | undefined;
  memoryLimit: number;
  memoryStat: Record<string, number>;
  memoryFailcnt: number | undefined;
  pidsCurrent: number;
  pidsLimit: number | undefined;
  /** io_service_bytes_recursive entries. */
  ioBytes: { major: number; minor: number; op: string; value: number }[];
  ioOps: { major: number; minor: number; op: string; value: number }[];
}

const USER_HZ = 100;
const UNLIMITED = 2n ** 62n;

const text = (p: string): Promise<string> => readFile(p, 'utf8').then((t) => t.trim(), () => '');
const num = async (p: string): Promise<number> => {
  const t = await text(p);
  if (t === '' || t === 'max') return 0;
  const n = BigInt(t.split(/\s/)[0] ?? '0');
  return n >= UNLIMITED ? 0 : Number(n);
};
const keyValues = (t: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const line of t.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
};

/** Whether this host runs the unified hierarchy only (cgroup v2). */
export async function isCgroupV2(): Promise<boolean> {
  return (await text('/sys/fs/cgroup/cgroup.controllers')) !== '';
}

/** Reads a container's counters from cgroup v1 controllers or the v2 unified tree; `path` is the spec's cgroupsPath. */
export async function readCgroupSample(path: string, v2: boolean): Promise<CgroupSample> {
  return v2 ? readCgroupV2Dir(`/sys/fs/cgroup${path}`) : readV1(path);
}

async function readV1(path: string): Promise<CgroupSample> {
  const cpuacct = `/sys/fs/cgroup/cpuacct${path}`;
  const cpu = `/sys/fs/cgroup/cpu${path}`;
  const mem = `/sys/fs/cgroup/memory${path}`;
  const acct = keyValues(await text(`${cpuacct}/cpuacct.stat`));
  const perCpu = (await text(`${cpuacct}/cpuacct.usage_percpu`)).split(/\s+/).filter((s) => s !== '').map(Number);
  const throttle = keyValues(await text(`${cpu}/cpu.stat`));
  const limit = await num(`${mem}/memory.limit_in_bytes`);
  const blk = await text(`/sys/fs/cgroup/blkio${path}/blkio.throttle.io_service_bytes_recursive`);
  const ops = await text(`/sys/fs/cgroup/blkio${path}/blkio.throttle.io_serviced_recursive`);
  return {
    cpuTotalNs: await num(`${cpuacct}/cpuacct.usage`),
    cpuUserNs: ((acct['user'] ?? 0) * 1e9) / USER_HZ,
    cpuKernelNs: ((acct['system'] ?? 0) * 1e9) / USER_HZ,
    perCpuNs: perCpu.length > 0 ? perCpu : undefined,
    throttling: { periods: throttle['nr_periods'] ?? 0, throttled_periods: throttle['nr_throttled'] ?? 0, throttled_time: throttle['throttled_time'] ?? 0 },
    memoryUsage: await num(`${mem}/memory.usage_in_bytes`),
    memoryMaxUsage: await num(`${mem}/memory.max_usage_in_bytes`),
    memoryLimit: limit,
    memoryStat: keyValues(await text(`${mem}/memory.stat`)),
    memoryFailcnt: await num(`${mem}/memory.failcnt`),
    pidsCurrent: await num(`/sys/fs/cgroup/pids${path}/pids.current`),
    pidsLimit: (await num(`/sys/fs/cgroup/pids${path}/pids.max`)) || undefined,
    ioBytes: blkioEntries(blk),
    ioOps: blkioEntries(ops),
  };
}

/** "8:0 Read 4096" lines → Docker's blkio entries (op lowercased as moby does for v1: "Read" stays "read"). */
function blkioEntries(t: string): CgroupSample['ioBytes'] {
  const out: CgroupSample['ioBytes'] = [];
  for (const line of t.split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: (m[3] ?? '').toLowerCase(), value: Number(m[4]) });
  }
  return out;
}

/** The counters of one cgroup v2 directory (cpu.stat, memory.*, io.stat, pids.*); files a hierarchy lacks read as zero. */
export async function readCgroupV2Dir(dir: string): Promise<CgroupSample> {
  const cpu = keyValues(await text(`${dir}/cpu.stat`));
  const ioBytes: CgroupSample['ioBytes'] = [];
  const ioOps: CgroupSample['ioBytes'] = [];
  for (const line of (await text(`${dir}/io.stat`)).split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(pairs.map((p) => p.split('='))) as Record<string, string>;
    const major = Number(m[1]);
    const minor = Number(m[2]);
    ioBytes.push({ major, minor, op: 'read', value: Number(kv['rbytes'] ?? 0) }, { major, minor, op: 'write', value: Number(kv['wbytes'] ?? 0) });
    ioOps.push({ major, minor, op: 'read', value: Number(kv['rios'] ?? 0) }, { major, minor, op: 'write', value: Number(kv['wios'] ?? 0) });
  }
  return {
    cpuTotalNs: (cpu['usage_usec'] ?? 0) * 1000,
    cpuUserNs: (cpu['user_usec'] ?? 0) * 1000,
    cpuKernelNs: (cpu['system_usec'] ?? 0) * 1000,
    perCpuNs: undefined,
    throttling: { periods: cpu['nr_periods'] ?? 0, throttled_periods: cpu['nr_throttled'] ?? 0, throttled_time: (cpu['throttled_usec'] ?? 0) * 1000 },
    memoryUsage: await num(`${dir}/memory.current`),
    memoryMaxUsage: undefined,
    memoryLimit: await num(`${dir}/memory.max`),
    memoryStat: keyValues(await text(`${dir}/memory.stat`)),
    memoryFailcnt: undefined,
    pidsCurrent: await num(`${dir}/pids.current`),
    pidsLimit: (await num(`${dir}/pids.max`)) || undefined,
    ioBytes,
    ioOps,
  };
}

/** /proc/stat's cpu line in ns (moby getSystemCPUUsage). */
export async function systemCpuNs(): Promise<number> {
  const line = (await text('/proc/stat')).split('\n').find((l) => l.startsWith('cpu '));
  const ticks = (line ?? '').split(/\s+/).slice(1, 8).reduce((s, v) => s + Number(v || 0), 0);
  return (ticks * 1e9) / USER_HZ;
}

/** /proc/<pid>/net/dev of the container's init: its network namespace's interfaces, without lo. */
export async function readNetDev(pid: number): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  if (pid <= 0) return out;
  for (const line of (await text(`/proc/${pid}/net/dev`)).split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    const iface = name?.trim();
    if (!iface || iface === 'lo' || rest === undefined) continue;
    const v = rest.trim().split(/\s+/).map(Number);
    out[iface] = {
      rx_bytes: v[0] ?? 0, rx_packets: v[1] ?? 0, rx_errors: v[2] ?? 0, rx_dropped: v[3] ?? 0,
      tx_bytes: v[8] ?? 0, tx_packets: v[9] ?? 0, tx_errors: v[10] ?? 0, tx_dropped: v[11] ?? 0,
    };
  }
  return out;
}
