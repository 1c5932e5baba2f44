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

const mapText = (ranges: readonly IdRange[]): string => ranges.map((r) => `${r.containerId} ${r.hostId} ${r.size}\n`).join('');

/** Creates the pinned user namespace and, owned by it, the network namespace pinned at `netnsPath` (an existing empty file). */
export async function createNetnsInUserns(netnsPath: string, idMap: IdMapping): Promise<void> {
  if (!HELPER) throw internal('userns-remap needs native/build/berth-userns (make -C native)');
  const pin = usernsPinFor(netnsPath);
  await mkdir(dirname(pin), { recursive: true, mode: 0o711 });
  await writeFile(pin, '');
  const stderr = await new Promise<{ code: number; text: string }>((resolve) => {
    const child = spawn(HELPER, [pin, netnsPath, mapText(idMap.uids), mapText(idMap.gids)], { stdio: ['ignore', 'ignore', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    child.on('error', (err) => resolve({ code: 1, text: err.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, text: Buffer.concat(chunks).toString('utf8').trim() }));
  });
  if (stderr.code !== 0) {
    await rm(pin, { force: true });
    throw internal(`creating the container's user and network namespaces: ${stderr.text}`);
  }
}

/** Unpins the user namespace made with `netnsPath`, if any. */
export async function removeUsernsPin(netnsPath: string): Promise<void> {
  const pin = usernsPinFor(netnsPath);
  if (!existsSync(pin)) return;
  try {
    umount2(pin, MNT_DETACH);
  } catch {
    // not mounted
  }
  await rm(pin, { force: true });
}
