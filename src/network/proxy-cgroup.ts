// Takes a port proxy out of the daemon's own cgroup, so that a service manager stopping the daemon's cgroup spares it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';

/** The cgroup (under each process-tracking hierarchy) that holds the proxies, below the daemon's container parent. */
export function proxyCgroupOf(cgroupParent: string): string {
  return `${cgroupParent}/port-proxies`;
}

interface Hierarchy {
  /** Where it is mounted. */
  readonly mount: string;
  /** The daemon's cgroup in it. */
  readonly own: string;
}

/**
 * The hierarchies a service manager tracks and kills a service by (the
 * unified cgroup v2 one, and v1's name=systemd), in which this process sits
 * below the root: those are the ones a proxy has to leave.
 */
async function daemonHierarchies(): Promise<Hierarchy[]> {
  const cgroups = await readFile('/proc/self/cgroup', 'utf8').catch(() => '');
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')).split('\n');
  const out: Hierarchy[] = [];
  for (const line of cgroups.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m || m[2] === undefined || m[2] === '/') continue;
    const v2 = m[1] === '';
    if (!v2 && m[1] !== 'name=systemd') continue;
    const mount = mounts
      .map((l) => l.split(' '))
      .find((f) => {
        const sep = f.indexOf('-');
        const fstype = f[sep + 1];
        return v2 ? fstype === 'cgroup2' : fstype === 'cgroup' && (f[sep + 3] ?? '').split(',').includes('name=systemd');
      })?.[4];
    if (mount !== undefined) out.push({ mount, own: m[2] });
  }
  return out;
}

/**
 * Moves `pid` into `cgroup` (made when missing) in every hierarchy where the
 * daemon runs in a cgroup of its own (a systemd service, say): stopping that
 * cgroup must not take the published ports with it. A daemon in the root
 * cgroup moves nothing. Resolves with what failed, for the caller to log.
 */
export async function moveOutOfDaemonCgroup(pid: number, cgroup: string): Promise<string[]> {
  const failed: string[] = [];
  for (const h of await daemonHierarchies()) {
    if (h.own === cgroup || h.own.startsWith(`${cgroup}/`)) continue;
    const dir = `${h.mount}${cgroup}`;
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(`${dir}/cgroup.procs`, String(pid));
    } catch (err) {
      failed.push(`${dir}: ${(err as Error).message}`);
    }
  }
  return failed;
}
