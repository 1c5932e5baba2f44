import { existsSync } from 'node:fs';
import { chown, mkdir, rmdir } from 'node:fs/promises';
import { conflict, invalidArgument } from '../../errors/engine-error.js';
import { isMountPoint } from '../../lib/mount-table.js';
import { mount, umount2 } from '../../lib/syscalls.js';
import type { Db } from '../../store/database.js';
import type { ContainerRecord, HostConfig } from './container-model.js';
import { findContainer, getContainerById } from './container-repo.js';
import type { NamespaceMode, SpecMount } from './oci-spec.js';

/*
 * Docker's --pid/--ipc/--uts/--cgroupns modes: validated and resolved at
 * create (donor names become `container:<id>`, as moby stores them), turned
 * into namespaces and a /dev/shm at start. A shareable IPC container's
 * /dev/shm is a tmpfs berthd mounts under the container's dir so that joiners
 * can bind it (moby setupIPCDirs); it is unmounted when the container ends.
 */

const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MNT_DETACH = 2;

const CONTAINER = 'container:';

/** The donor reference of a `container:<ref>` mode, or undefined. */
function donorRef(mode: string): string | undefined {
  return mode.startsWith(CONTAINER) ? mode.slice(CONTAINER.length) : undefined;
}

/** Docker's default cgroup namespace mode: private on cgroup v2 hosts, host on v1. */
export function defaultCgroupnsMode(): 'host' | 'private' {
  return existsSync('/sys/fs/cgroup/cgroup.controllers') ? 'private' : 'host';
}

type NamespaceFields = Pick<HostConfig, 'PidMode' | 'IpcMode' | 'UTSMode' | 'CgroupnsMode'>;

/**
 * Create-time checks of the namespace modes (moby verifyPlatformContainerSettings,
 * validateNetMode) and the donors' resolution to full ids; the donors need
 * only exist here, start checks that they run.
 */
export function validateNamespaceModes(db: Db, h: NamespaceFields, config: { readonly Hostname?: string; readonly Domainname?: string }): void {
  const ipcDonor = donorRef(h.IpcMode);
  if (!(['', 'none', 'private', 'host', 'shareable'].includes(h.IpcMode) || (ipcDonor !== undefined && ipcDonor !== ''))) {
    throw invalidArgument(`invalid IPC mode: ${h.IpcMode}`);
  }
  const pidDonor = donorRef(h.PidMode);
  if (!(h.PidMode === '' || h.PidMode === 'host' || (pidDonor !== undefined && pidDonor !== ''))) throw invalidArgument(`invalid PID mode: ${h.PidMode}`);
  const utsDonor = donorRef(h.UTSMode);
  if (!(h.UTSMode === '' || h.UTSMode === 'host' || (utsDonor !== undefined && utsDonor !== ''))) throw invalidArgument(`invalid UTS mode: ${h.UTSMode}`);
  if (!['', 'host', 'private'].includes(h.CgroupnsMode)) throw invalidArgument(`invalid cgroup namespace mode: ${h.CgroupnsMode}`);
  if (h.UTSMode !== '' && (config.Hostname ?? '') !== '') throw invalidArgument('conflicting options: hostname and the UTS mode');
  if (h.UTSMode !== '' && (config.Domainname ?? '') !== '') throw invalidArgument('conflicting options: domainname and the UTS mode');
  const resolve = (ref: string): string => {
    const donor = findContainer(db, ref);
    if (!donor) throw invalidArgument(`No such container: ${ref}`);
    return `${CONTAINER}${donor.id}`;
  };
  if (ipcDonor !== undefined) h.IpcMode = resolve(ipcDonor);
  if (pidDonor !== undefined) h.PidMode = resolve(pidDonor);
  if (utsDonor !== undefined) h.UTSMode = resolve(utsDonor);
}

/** Where a shareable container's /dev/shm tmpfs lives on the host (moby's <container>/mounts/shm). */
export function shmDirFor(c: ContainerRecord): string {
  return `${c.runtime.containerDir}/mounts/shm`;
}

/** A bind, volume or tmpfs the user put at /dev/shm replaces Docker's (moby HasMountFor). */
const hasShmMount = (c: ContainerRecord): boolean => (c.runtime.mounts ?? []).some((m) => m.destination.replace(/\/+$/, '') === '/dev/shm');

/** The host directory a joiner of `c`'s IPC namespace binds at /dev/shm, or undefined when `c`'s IPC is not shareable. */
function shareableShm(db: Db, c: ContainerRecord, seen: Set<string>): string | undefined {
  if (c.hostConfig.IpcMode === 'host') return '/dev/shm';
  if (c.hostConfig.IpcMode === 'shareable' || c.hostConfig.IpcMode === '') return hasShmMount(c) ? undefined : shmDirFor(c);
  const next = donorRef(c.hostConfig.IpcMode);
  if (next === undefined || seen.has(c.id)) return undefined;
  seen.add(c.id);
  const donor = getContainerById(db, next);
  return donor ? shareableShm(db, donor, seen) : undefined;
}

/** A running donor for `container:<id>` modes; Docker's errors otherwise. */
function runningDonor(db: Db, id: string, kind: 'IPC' | 'PID' | 'UTS'): ContainerRecord {
  const donor = getContainerById(db, id) ?? findContainer(db, id);
  if (!donor) {
    if (kind === 'IPC') throw invalidArgument(`can't join IPC of container ${id}: No such container: ${id}`);
    throw invalidArgument(`cannot join ${kind} of a non running container: ${id}`);
  }
  if (!donor.state.Running || donor.state.Pid <= 0) {
    const msg = `container ${donor.id} is not running`;
    throw conflict(kind === 'IPC' ? `can't join IPC of container ${id}: ${msg}` : msg);
  }
  if (donor.state.Restarting) throw conflict(`Container ${donor.id} is restarting, wait until the container is running`);
  return donor;
}

export interface NamespacePlan {
  readonly pid: NamespaceMode;
  readonly ipc: NamespaceMode;
  readonly uts: NamespaceMode;
  readonly cgroupNamespace: boolean;
  /** No /dev/shm at all (`--ipc none`). */
  readonly noShm: boolean;
  /** A bind of a host dir at /dev/shm (shareable, host, or the donor's). */
  readonly shmMount?: SpecMount;
  /** With userns-remap: the donor's user namespace, which a joined PID/IPC namespace requires (moby WithNamespaces). */
  readonly donorUsernsPath?: string;
}

/**
 * The namespaces a container starts with. Mounts a shareable container's
 * /dev/shm tmpfs (owned by `shmOwner` when given); the caller releases it
 * with releaseShm when the start fails or the container ends.
 */
export async function planNamespaces(
  db: Db,
  c: ContainerRecord,
  opts: { readonly cgroupV2: boolean; readonly hostNetwork: boolean; readonly shmOwner?: { uid: number; gid: number } },
): Promise<NamespacePlan> {
  const h = c.hostConfig;
  let donorUserns: string | undefined;
  const join = (mode: string, kind: 'IPC' | 'PID' | 'UTS', ns: string): NamespaceMode | undefined => {
    const ref = donorRef(mode);
    if (ref === undefined) return undefined;
    const donor = runningDonor(db, ref, kind);
    if (kind !== 'UTS') donorUserns ??= `/proc/${donor.state.Pid}/ns/user`;
    return { type: 'path', path: `/proc/${donor.state.Pid}/ns/${ns}` };
  };

  const pid: NamespaceMode = h.PidMode === 'host' ? { type: 'host' } : (join(h.PidMode, 'PID', 'pid') ?? { type: 'new' });
  // Docker: with --network host the container also gets the host's UTS namespace.
  const uts: NamespaceMode = h.UTSMode === 'host' || (opts.hostNetwork && h.UTSMode === '') ? { type: 'host' } : (join(h.UTSMode, 'UTS', 'uts') ?? { type: 'new' });
  const cgroupNamespace = h.CgroupnsMode === 'private' || (h.CgroupnsMode === '' && opts.cgroupV2);

  const userShm = hasShmMount(c);
  const bind = (source: string): SpecMount => ({ destination: '/dev/shm', source });
  let ipc: NamespaceMode = { type: 'new' };
  let shmMount: SpecMount | undefined;
  const ipcRef = donorRef(h.IpcMode);
  if (ipcRef !== undefined) {
    ipc = join(h.IpcMode, 'IPC', 'ipc') ?? ipc;
    const donor = getContainerById(db, ipcRef) ?? findContainer(db, ipcRef);
    const source = donor ? shareableShm(db, donor, new Set([c.id])) : undefined;
    if (source === undefined || (source !== '/dev/shm' && !(await isMountPoint(source)))) {
      throw invalidArgument(`can't join IPC of container ${ipcRef}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    if (!userShm) shmMount = bind(source);
  } else if (h.IpcMode === 'host') {
    ipc = { type: 'host' };
    if (!existsSync('/dev/shm')) throw invalidArgument('/dev/shm is not mounted, but must be for --ipc=host');
    if (!userShm) shmMount = bind('/dev/shm');
  } else if ((h.IpcMode === 'shareable' || h.IpcMode === '') && !userShm) {
    shmMount = bind(await mountShm(c, opts.shmOwner));
  }
  return {
    pid,
    ipc,
    uts,
    cgroupNamespace,
    noShm: h.IpcMode === 'none',
    ...(shmMount ? { shmMount } : {}),
    ...(donorUserns !== undefined ? { donorUsernsPath: donorUserns } : {}),
  };
}

async function mountShm(c: ContainerRecord, owner: { uid: number; gid: number } | undefined): Promise<string> {
  const dir = shmDirFor(c);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!(await isMountPoint(dir))) {
    try {
      mount('shm', dir, 'tmpfs', MS_NOEXEC | MS_NOSUID | MS_NODEV, `mode=1777,size=${c.hostConfig.ShmSize > 0 ? c.hostConfig.ShmSize : 64 * 1024 * 1024}`);
    } catch (err) {
      throw new Error(`mounting shm tmpfs: ${(err as Error).message}`, { cause: err });
    }
  }
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

/** Unmounts a shareable container's /dev/shm tmpfs; nothing to do for other modes. */
export async function releaseShm(c: ContainerRecord): Promise<void> {
  const dir = shmDirFor(c);
  if (!existsSync(dir)) return;
  while (await isMountPoint(dir)) umount2(dir, MNT_DETACH);
  await rmdir(dir).catch(() => undefined);
}
