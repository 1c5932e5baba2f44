import koffi from 'koffi';
import { constants } from 'node:os';

/**
 * Thin koffi bindings to the few libc calls Node lacks. Each wrapper throws a
 * SyscallError carrying errno and its name (like Node's own fs errors).
 */
export class SyscallError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly code: string,
    path: string,
  ) {
    super(`${syscall} ${path}: ${code}: ${strerror(errno)}`);
    this.name = 'SyscallError';
  }
}

const libc = koffi.load('libc.so.6');
const cMount = libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
const cUmount2 = libc.func('int umount2(const char *target, int flags)');
const cMknod = libc.func('int mknod(const char *path, unsigned int mode, uint64_t dev)');
const cLsetxattr = libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)');
const cLgetxattr = libc.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)');
const cLlistxattr = libc.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)');
const cStrerror = libc.func('const char *strerror(int errnum)');
const cFlock = libc.func('int flock(int fd, int operation)');

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

function strerror(errno: number): string {
  return String(cStrerror(errno) as string);
}

function check(result: number | bigint, syscall: string, path: string): number {
  const n = Number(result);
  if (n >= 0) return n;
  const errno = koffi.errno();
  throw new SyscallError(syscall, errno, errnoNames.get(errno) ?? `E${errno}`, path);
}

/** glibc's makedev(3). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 0x2;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const XATTR_CREATE = 0x1;

export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  check(cMount(source, target, fstype, flags, data) as number, 'mount', target);
}

export function umount2(target: string, flags = 0): void {
  check(cUmount2(target, flags) as number, 'umount2', target);
}

/** mknod(2); `mode` includes the file type bits (S_IFCHR …). */
export function mknod(path: string, mode: number, dev: bigint | number = 0): void {
  check(cMknod(path, mode, BigInt(dev)) as number, 'mknod', path);
}

export function lsetxattr(path: string, name: string, value: Buffer, flags = 0): void {
  check(cLsetxattr(path, name, value, value.length, flags) as number, 'lsetxattr', path);
}

/** Names of a file's extended attributes (not following a symlink); [] where the filesystem has none. */
export function llistxattr(path: string): string[] {
  for (let size = 1024; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(cLlistxattr(path, buf, size));
    if (n >= 0) return n === 0 ? [] : buf.toString('utf8', 0, n - 1).split('\0');
    const errno = koffi.errno();
    if (errno === constants.errno.ENOTSUP) return [];
    if (errno === constants.errno.ERANGE && size < 1 << 20) continue;
    throw new SyscallError('llistxattr', errno, errnoNames.get(errno) ?? `E${errno}`, path);
  }
}

/** Value of an extended attribute, or undefined when the file lacks it (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (let size = 256; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = Number(cLgetxattr(path, name, buf, size));
    if (n >= 0) return buf.subarray(0, n);
    const errno = koffi.errno();
    if (errno === constants.errno.ENODATA) return undefined;
    if (errno === constants.errno.ERANGE && size < 1 << 20) continue;
    throw new SyscallError('lgetxattr', errno, errnoNames.get(errno) ?? `E${errno}`, path);
  }
}

export const LOCK_EX = 2;
export const LOCK_NB = 4;

/** flock(2) on an open descriptor; false when LOCK_NB was given and another open file holds the lock (EWOULDBLOCK). */
export function flock(fd: number, operation: number, path: string): boolean {
  if (Number(cFlock(fd, operation)) === 0) return true;
  const errno = koffi.errno();
  if (errno === constants.errno.EWOULDBLOCK) return false;
  throw new SyscallError('flock', errno, errnoNames.get(errno) ?? `E${errno}`, path);
}
