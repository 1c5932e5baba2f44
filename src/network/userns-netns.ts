import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { internal } from '../errors/engine-error.js';
import type { IdMapping, IdRange } from '../lib/id-mapping.js';
import { MNT_DETACH, umount2 } from '../lib/syscalls.js';

/*
 * userns-remap and berthd-made network namespaces: runc joins the user
 * namespace before the others, also for exec, and a user namespace may not
 * enter a network namespace owned by its parent. So with remapping on, the
 * container's network namespace is made inside a user namespace with the
 * container's id maps (native/build/berth-userns), both pinned, and the
 * container joins that user namespace by path.
 */

const HELPER = ['../../../native/build/berth-userns', '../../native/build/berth-userns']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((p) => existsSync(p));

/** Where the user namespace owning the network namespace pinned at `netnsPath` is pinned: a sibling directory, so a dir of netns pins holds only those. */
export function usernsPinFor(netnsPath: string): string {
  return `${dirname(netnsPath)}-userns/${basename(netnsPath)}`;
}

/** The kernel's limit on one uid_map/gid_map write (340 lines, one page). */
const MAX_MAP_LINES = 340;
const HELPER_TIMEOUT_MS = 30_000;
/** stderr kept from the helper: its messages are one line each. */
const MAX_STDERR = 4096;

function mapText(kind: string, ranges: readonly IdRange[]): string {
  const ok = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min && n <= 0xffffffff;
  if (ranges.length === 0 || ranges.length > MAX_MAP_LINES) throw internal(`userns-remap: ${ranges.length} ${kind} ranges (1 to ${MAX_MAP_LINES} allowed)`);
  for (const r of ranges) {
    if (!ok(r.containerId, 0) || !ok(r.hostId, 0) || !ok(r.size, 1)) throw internal(`userns-remap: invalid ${kind} range ${r.containerId} ${r.hostId} ${r.size}`);
  }
  return ranges.map((r) => `${r.containerId} ${r.hostId} ${r.size}\n`).join('');
}

/** Unmounts whatever is mounted on `path` (stacked mounts included); a path with nothing mounted is left alone. */
function unmountAll(path: string): void {
  for (let i = 0; i < 8; i++) {
    try {
      umount2(path, MNT_DETACH);
    } catch {
      return; // EINVAL: not (any longer) a mount point; ENOENT: gone
    }
  }
}

/** Runs berth-userns; its exit code and stderr. Killed (and so failed) after HELPER_TIMEOUT_MS. */
function runHelper(helper: string, args: readonly string[]): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(helper, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let text = '';
    const timer = setTimeout(() => {
      text += `berth-userns: no answer in ${HELPER_TIMEOUT_MS / 1000}s`;
      child.kill('SIGKILL');
    }, HELPER_TIMEOUT_MS);
    child.stderr.on('data', (b: Buffer) => {
      if (text.length < MAX_STDERR) text += b.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 1, text: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, text: text.trim() });
    });
  });
}

/**
 * Creates the pinned user namespace and, owned by it, the network namespace pinned at `netnsPath` (an existing empty file).
 * On failure nothing stays mounted on either pin and the user namespace pin file is removed; `netnsPath` is the caller's.
 */
export async function createNetnsInUserns(netnsPath: string, idMap: IdMapping): Promise<void> {
  if (!HELPER) throw internal('userns-remap needs native/build/berth-userns (make -C native)');
  const uids = mapText('uid', idMap.uids);
  const gids = mapText('gid', idMap.gids);
  const pin = usernsPinFor(netnsPath);
  await mkdir(dirname(pin), { recursive: true, mode: 0o711 });
  await writeFile(pin, '');
  const result = await runHelper(HELPER, [pin, netnsPath, uids, gids]);
  if (result.code !== 0) {
    // The helper unmounts what it mounted before it fails; not when it was killed, so make sure.
    unmountAll(netnsPath);
    unmountAll(pin);
    await rm(pin, { force: true }).catch(() => undefined);
    throw internal(`creating the container's user and network namespaces: ${result.text || `berth-userns exited with ${result.code}`}`);
  }
}

/** Unpins the user namespace made with `netnsPath`, if any. */
export async function removeUsernsPin(netnsPath: string): Promise<void> {
  const pin = usernsPinFor(netnsPath);
  if (!existsSync(pin)) return;
  unmountAll(pin);
  await rm(pin, { force: true });
}
