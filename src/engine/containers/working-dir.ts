import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { internal } from '../../errors/engine-error.js';

const MAX_SYMLINKS = 255;

/**
 * dockerd checks Config.WorkingDir at create, in the container's mounted rootfs
 * (container.SetupWorkingDirectory): the path is resolved with symlinks kept
 * inside the rootfs; an existing final component that is not a directory is
 * 500 "Cannot mkdir: <WorkingDir> is not a directory", a file on the way is the
 * resolver's 500 "lstat <path>: not a directory". Missing parts are fine: the
 * runtime creates the working directory at start.
 */
export async function checkWorkingDir(rootfs: string, workingDir: string): Promise<void> {
  if (workingDir === '') return;
  const pending = workingDir.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = posix.join(rootfs, ...resolved, part);
    const st = await lstat(hostPath).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      if (err.code === 'ENOTDIR') throw internal(`lstat ${posix.join(rootfs, ...resolved, part, ...pending)}: not a directory`);
      throw err;
    });
    if (st === undefined) return;
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw internal(`lstat ${hostPath}: too many levels of symbolic links`);
      const target = await readlink(hostPath);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    if (!st.isDirectory()) {
      if (pending.length === 0) throw internal(`Cannot mkdir: ${workingDir} is not a directory`);
      throw internal(`lstat ${posix.join(hostPath, ...pending)}: not a directory`);
    }
    resolved.push(part);
  }
}
