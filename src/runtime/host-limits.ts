import { readFile } from 'node:fs/promises';

/** One resource limit; `Infinity` stands for "unlimited" (RLIM_INFINITY). */
export interface HostRlimit {
  readonly soft: number;
  readonly hard: number;
}

/** The daemon's own rlimits keyed by OCI name ("RLIMIT_NOFILE"). */
export type HostLimits = ReadonlyMap<string, HostRlimit>;

// Row titles of /proc/<pid>/limits (fs/proc/base.c lnames[]) → OCI rlimit type.
const rowNames: ReadonlyArray<readonly [string, string]> = [
  ['Max cpu time', 'RLIMIT_CPU'],
  ['Max file size', 'RLIMIT_FSIZE'],
  ['Max data size', 'RLIMIT_DATA'],
  ['Max stack size', 'RLIMIT_STACK'],
  ['Max core file size', 'RLIMIT_CORE'],
  ['Max resident set', 'RLIMIT_RSS'],
  ['Max processes', 'RLIMIT_NPROC'],
  ['Max open files', 'RLIMIT_NOFILE'],
  ['Max locked memory', 'RLIMIT_MEMLOCK'],
  ['Max address space', 'RLIMIT_AS'],
  ['Max file locks', 'RLIMIT_LOCKS'],
  ['Max pending signals', 'RLIMIT_SIGPENDING'],
  ['Max msgqueue size', 'RLIMIT_MSGQUEUE'],
  ['Max nice priority', 'RLIMIT_NICE'],
  ['Max realtime priority', 'RLIMIT_RTPRIO'],
  ['Max realtime timeout', 'RLIMIT_RTTIME'],
];

const parseValue = (s: string): number | undefined => (s === 'unlimited' ? Infinity : /^\d+$/.test(s) ? Number(s) : undefined);

/** Parses the text of /proc/<pid>/limits. Unknown rows are ignored. */
export function parseProcLimits(text: string): HostLimits {
  const out = new Map<string, HostRlimit>();
  for (const line of text.split('\n')) {
    const row = rowNames.find(([title]) => line.startsWith(title + ' '));
    if (!row) continue;
    const [soft, hard] = line.slice(row[0].length).trim().split(/\s+/);
    const s = soft === undefined ? undefined : parseValue(soft);
    const h = hard === undefined ? undefined : parseValue(hard);
    if (s !== undefined && h !== undefined) out.set(row[1], { soft: s, hard: h });
  }
  return out;
}

/**
 * Reads the calling process's limits. A container's rlimits must not exceed
 * the hard limits here: without CAP_SYS_RESOURCE runc cannot raise them and
 * `runc create` fails.
 */
export async function readHostLimits(procFile = '/proc/self/limits'): Promise<HostLimits> {
  return parseProcLimits(await readFile(procFile, 'utf8'));
}

/** True on a unified (v2) cgroup host; false on v1 or hybrid (a v2 `unified` mount alone does not count). */
export async function isCgroupV2(cgroupRoot = '/sys/fs/cgroup'): Promise<boolean> {
  try {
    await readFile(`${cgroupRoot}/cgroup.controllers`, 'utf8');
    return true;
  } catch {
    return false;
  }
}
