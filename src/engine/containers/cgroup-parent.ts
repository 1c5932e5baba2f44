import { readdir, rmdir } from 'node:fs/promises';
import { proxyCgroupOf } from '../../network/proxy-cgroup.js';

/** The cgroup under which this daemon's containers live; a tag of the exec root keeps two daemons apart. */
export function cgroupParentFor(execRoot: string): string {
  let h = 0;
  for (const ch of execRoot) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `/berth-${h.toString(16)}`;
}

/**
 * Removes the daemon's (empty) parent cgroup from every hierarchy at shutdown;
 * one still holding a live container is left alone (rmdir fails with EBUSY).
 */
export async function removeCgroupParent(execRoot: string, cgroupRoot = '/sys/fs/cgroup'): Promise<void> {
  const parent = cgroupParentFor(execRoot);
  const hierarchies = await readdir(cgroupRoot).catch(() => [] as string[]);
  const candidates = [`${cgroupRoot}${parent}`, ...hierarchies.map((h) => `${cgroupRoot}/${h}${parent}`)];
  // The port proxies' cgroup first (engine/network/port-publishing.ts): left while a proxy still runs in it.
  const proxies = proxyCgroupOf(parent).slice(parent.length);
  for (const dir of candidates) {
    await rmdir(`${dir}${proxies}`).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }
}
