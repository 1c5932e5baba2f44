import { chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument, internal } from '../errors/engine-error.js';
import { isMountPoint } from '../lib/mount-table.js';
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_NOSUID, MS_RDONLY, MS_REC, mount, umount2 } from '../lib/syscalls.js';
import type { VolumeDriver } from './volume-driver.js';

const MS_NOEXEC = 0x8;
const MS_SYNCHRONOUS = 0x10;
const MS_NOATIME = 0x400;
const MS_NODIRATIME = 0x800;

const validKeys = new Set(['type', 'device', 'o', 'size']);

const flagBits: Readonly<Record<string, number>> = {
  bind: MS_BIND,
  rbind: MS_BIND | MS_REC,
  ro: MS_RDONLY,
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  sync: MS_SYNCHRONOUS,
  noatime: MS_NOATIME,
  nodiratime: MS_NODIRATIME,
};

/**
 * Docker's "local" driver: `<root>/<name>/_data` is the data directory; with
 * `type`/`device`/`o` options it is a mount point for that filesystem
 * (tmpfs, a bind of a host directory, a block device), mounted while in use.
 */
export class LocalVolumeDriver implements VolumeDriver {
  readonly name = 'local';

  /** `owner`: userns-remap's root, who owns new data directories (moby's local driver chowns them to the remapped root). */
  constructor(
    private readonly root: string,
    private readonly owner?: { readonly uid: number; readonly gid: number },
  ) {}

  validateOptions(options: Readonly<Record<string, string>>): void {
    for (const key of Object.keys(options)) {
      if (!validKeys.has(key)) throw invalidArgument(`invalid option key: "${key}"`);
    }
    if (options['size'] !== undefined && options['type'] !== 'tmpfs') throw invalidArgument('quota size requested but no quota support');
    if ((options['type'] ?? '') === '' && ((options['device'] ?? '') !== '' || (options['o'] ?? '') !== '')) {
      throw invalidArgument('missing required option: "type"');
    }
    if ((options['type'] ?? '') !== '' && options['type'] !== 'tmpfs' && (options['device'] ?? '') === '') {
      throw invalidArgument('missing required option: "device"');
    }
  }

  mountpoint(name: string): string {
    return join(this.root, name, '_data');
  }

  async create(name: string): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o701 });
    await mkdir(join(this.root, name), { mode: 0o701 }).catch(ignoreExists);
    await mkdir(this.mountpoint(name), { mode: 0o755 }).catch(ignoreExists);
    if (this.owner) await chown(this.mountpoint(name), this.owner.uid, this.owner.gid);
  }

  async mount(name: string, options: Readonly<Record<string, string>>): Promise<string> {
    const target = this.mountpoint(name);
    const type = options['type'] ?? '';
    if (type === '') return target;
    if (await isMountPoint(target)) return target;
    let flags = 0;
    const data: string[] = [];
    for (const o of (options['o'] ?? '').split(',').filter((x) => x !== '')) {
      const bit = flagBits[o];
      if (bit !== undefined) flags |= bit;
      else data.push(o);
    }
    if (options['size'] !== undefined) data.push(`size=${options['size']}`);
    const device = type === 'tmpfs' && (options['device'] ?? '') === '' ? 'tmpfs' : (options['device'] ?? '');
    try {
      mount(device, target, type, flags, data.length > 0 ? data.join(',') : null);
      // A read-only bind needs a remount to take the flag.
      if ((flags & MS_BIND) !== 0 && (flags & MS_RDONLY) !== 0) mount('', target, null, flags | 0x20, null);
    } catch (err) {
      throw internal(`error while mounting volume '${target}': ${(err as Error).message}`, { cause: err });
    }
    return target;
  }

  async unmount(name: string): Promise<void> {
    const target = this.mountpoint(name);
    while (await isMountPoint(target)) umount2(target, MNT_DETACH);
  }

  async remove(name: string): Promise<void> {
    await this.unmount(name);
    await rm(join(this.root, name), { recursive: true, force: true });
  }
}

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}
