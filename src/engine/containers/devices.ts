import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StartSetupError } from './start-setup-error.js';
import type { OciDevice, OciDeviceCgroupRule } from '../../runtime/oci-spec-types.js';

/*
 * HostConfig.Devices, DeviceCgroupRules and the host's /dev for privileged
 * containers, turned into OCI devices and cgroup rules at start, as dockerd
 * 20.10 does (daemon/oci_linux.go WithDevices, oci/devices_linux.go and
 * runc's libcontainer/devices). Every failure here is dockerd's start-time 500.
 */

export interface DeviceMapping {
  readonly PathOnHost?: string;
  readonly PathInContainer?: string;
  readonly CgroupPermissions?: string;
}

export interface ContainerDevices {
  readonly devices: OciDevice[];
  readonly rules: OciDeviceCgroupRule[];
}

class NotADevice extends Error {
  constructor() {
    super('not a device node');
  }
}

/** Go's errno texts, as dockerd prints them. */
const errnoText: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  EPERM: 'operation not permitted',
};

function errText(err: unknown): string {
  if (err instanceof NotADevice) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  return (code !== undefined ? errnoText[code] : undefined) ?? (err instanceof Error ? err.message : String(err));
}

// Linux's dev_t encoding (glibc gnu_dev_major / gnu_dev_minor).
const majorOf = (dev: bigint): number => Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
const minorOf = (dev: bigint): number => Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));

const S_IFMT = 0o170000n;

/** runc devices.DeviceFromPath: lstat, no symlink following; block, char and fifo nodes only. */
async function deviceFromPath(path: string): Promise<OciDevice> {
  const st = await lstat(path, { bigint: true });
  const type = st.isBlockDevice() ? 'b' : st.isCharacterDevice() ? 'c' : st.isFIFO() ? 'p' : undefined;
  if (type === undefined) throw new NotADevice();
  return { type, path, major: majorOf(st.rdev), minor: minorOf(st.rdev), fileMode: Number(st.mode & ~S_IFMT), uid: Number(st.uid), gid: Number(st.gid) };
}

const ruleFor = (d: OciDevice, access: string): OciDeviceCgroupRule => ({
  allow: true,
  type: d.type === 'b' ? 'b' : 'c',
  ...(d.major !== undefined ? { major: d.major } : {}),
  ...(d.minor !== undefined ? { minor: d.minor } : {}),
  access,
});

/** Go's filepath.Walk order: the root, then each entry in lexical order, depth first, symlinks not followed. */
async function walk(root: string, visit: (path: string) => Promise<void>): Promise<void> {
  await visit(root);
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) return;
  const names = (await readdir(root).catch(() => [] as string[])).sort();
  for (const name of names) await walk(join(root, name), visit);
}

/** moby oci.DevicesFromPath: one device node, or every node under a directory. */
export async function devicesFromPath(pathOnHost: string, pathInContainer: string, permissions: string): Promise<ContainerDevices> {
  let resolved = pathOnHost;
  const link = await lstat(pathOnHost).catch(() => undefined);
  if (link?.isSymbolicLink()) resolved = await realpath(pathOnHost).catch(() => pathOnHost);
  // A fifo passes here as in dockerd; runc then refuses it ("invalid cgroup device type").
  let firstErr: unknown;
  try {
    const d = { ...(await deviceFromPath(resolved)), path: pathInContainer };
    return { devices: [d], rules: [ruleFor(d, permissions)] };
  } catch (err) {
    firstErr = err;
  }
  const out: ContainerDevices = { devices: [], rules: [] };
  if (firstErr instanceof NotADevice && (await stat(resolved).catch(() => undefined))?.isDirectory()) {
    await walk(resolved, async (p) => {
      const d = await deviceFromPath(p).catch(() => undefined);
      if (!d) return;
      const child = { ...d, path: p.replace(resolved, pathInContainer) };
      out.devices.push(child);
      out.rules.push(ruleFor(child, permissions));
    });
  }
  if (out.devices.length > 0) return out;
  throw new StartSetupError(`error gathering device information while adding custom device "${pathOnHost}": ${errText(firstErr)}`);
}

const skippedDirs = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** runc devices.HostDevices: every device node under /dev but fifos, console and the kernel-managed dirs. */
export async function hostDevices(dir = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.isDirectory()) {
      if (!skippedDirs.has(e.name)) out.push(...(await hostDevices(join(dir, e.name))));
      continue;
    }
    if (e.name === 'console') continue;
    const d = await deviceFromPath(join(dir, e.name)).catch((err: unknown) => {
      if (err instanceof NotADevice || (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    });
    if (d && d.type !== 'p') out.push(d);
  }
  return out;
}

// moby daemon/oci_linux.go deviceCgroupRuleRegex.
const cgroupRule = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** moby oci.AppendDevicePermissionsFromCgroupRules: `c 1:3 rwm`, `*` for any major or minor. */
export function cgroupRulesFrom(rules: readonly string[]): OciDeviceCgroupRule[] {
  return rules.map((rule) => {
    const m = cgroupRule.exec(rule);
    if (!m) throw new StartSetupError(`invalid device cgroup rule format: '${rule}'`);
    const num = (s: string | undefined): number => (s === '*' || s === undefined ? -1 : Number(s));
    return { allow: true, type: m[1] as 'a' | 'b' | 'c', major: num(m[2]), minor: num(m[3]), access: m[4] ?? '' };
  });
}

/**
 * moby WithDevices: privileged gets the host's devices plus mappings to other
 * paths (custom permissions and cgroup rules ignored: the caller allows all);
 * otherwise each mapping's nodes and rules, then DeviceCgroupRules.
 */
export async function containerDevices(opts: {
  readonly privileged: boolean;
  readonly mappings: readonly DeviceMapping[];
  readonly cgroupRules: readonly string[];
}): Promise<{ host: OciDevice[]; devices: OciDevice[]; rules: OciDeviceCgroupRule[] }> {
  const host = opts.privileged ? await hostDevices() : [];
  const devices: OciDevice[] = [];
  const rules: OciDeviceCgroupRule[] = [];
  for (const m of opts.mappings) {
    const onHost = m.PathOnHost ?? '';
    const inContainer = m.PathInContainer ?? '';
    // dockerd: in privileged mode a mapping to the same path is already there through /dev.
    if (opts.privileged && onHost === inContainer) continue;
    const found = await devicesFromPath(onHost, inContainer, opts.privileged ? 'rwm' : (m.CgroupPermissions ?? ''));
    devices.push(...found.devices);
    rules.push(...found.rules);
  }
  if (opts.privileged) return { host, devices, rules: [] };
  rules.push(...cgroupRulesFrom(opts.cgroupRules));
  return { host, devices, rules };
}
