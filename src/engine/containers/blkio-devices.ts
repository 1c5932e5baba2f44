import { stat } from 'node:fs/promises';
import { internal } from '../../errors/engine-error.js';
import type { OciResources, OciThrottleDevice } from '../../runtime/oci-spec-types.js';

/** HostConfig's per-device block I/O fields (Docker's BlkioWeightDevice / BlkioDevice{Read,Write}{Bps,IOps}). */
export interface BlkioDeviceFields {
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceWriteBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceReadIOps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceWriteIOps?: { Path: string; Rate: number }[] | null;
}

const errnoText: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
};

/** Linux dev_t → major/minor (glibc gnu_dev_major / gnu_dev_minor). */
async function deviceNumbers(path: string): Promise<{ major: number; minor: number }> {
  let rdev: bigint;
  try {
    rdev = (await stat(path, { bigint: true })).rdev;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // moby getBlkio*Devices: a path that cannot be stat'ed fails the start with the stat error (500).
    throw internal(`stat ${path}: ${errnoText[code] ?? (err as Error).message}`);
  }
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

async function throttle(list: { Path: string; Rate: number }[] | null | undefined): Promise<OciThrottleDevice[]> {
  const out: OciThrottleDevice[] = [];
  for (const d of list ?? []) out.push({ ...(await deviceNumbers(d.Path)), rate: d.Rate });
  return out;
}

/** Adds the per-device weights and throttles to linux.resources.blockIO, resolving each path to its device numbers at start as dockerd does. */
export async function withBlkioDevices<R extends Omit<OciResources, 'devices'>>(resources: R, h: BlkioDeviceFields): Promise<R> {
  const blockIO: NonNullable<OciResources['blockIO']> = { ...(resources.blockIO ?? {}) };
  const weights = [];
  for (const d of h.BlkioWeightDevice ?? []) weights.push({ ...(await deviceNumbers(d.Path)), weight: d.Weight });
  if (weights.length > 0) blockIO.weightDevice = weights;
  const fields = [
    ['throttleReadBpsDevice', h.BlkioDeviceReadBps],
    ['throttleWriteBpsDevice', h.BlkioDeviceWriteBps],
    ['throttleReadIOPSDevice', h.BlkioDeviceReadIOps],
    ['throttleWriteIOPSDevice', h.BlkioDeviceWriteIOps],
  ] as const;
  for (const [key, list] of fields) {
    const devices = await throttle(list);
    if (devices.length > 0) blockIO[key] = devices;
  }
  return Object.keys(blockIO).length > 0 ? { ...resources, blockIO } : resources;
}
