import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { requireContainer } from './container-repo.js';
import type { ContainerRecord } from './container-model.js';
import { isCgroupV2, readCgroupSample, readNetDev, systemCpuNs, type CgroupSample } from './stats-cgroup.js';
import type { ContainerSupervisor } from './supervisor.js';

/** One stats reading of a container; `cgroup` is undefined when it is not running. */
export interface StatsSample {
  readonly id: string;
  readonly name: string;
  /** RFC3339Nano of the reading. */
  readonly read: string;
  readonly cgroup: CgroupSample | undefined;
  readonly systemCpuNs: number;
  readonly onlineCpus: number;
  readonly networks: Record<string, Record<string, number>> | undefined;
}

let v2: Promise<boolean> | undefined;

async function cgroupPath(c: ContainerRecord): Promise<string | undefined> {
  try {
    const spec = JSON.parse(await readFile(`${c.runtime.bundleDir}/config.json`, 'utf8')) as { linux?: { cgroupsPath?: string } };
    return spec.linux?.cgroupsPath;
  } catch {
    return undefined;
  }
}

/** Reads the container's cgroup counters, the host's CPU time and its network interfaces' counters. */
export async function readStats(sup: ContainerSupervisor, c: ContainerRecord): Promise<StatsSample> {
  const read = new Date().toISOString();
  const base = { id: c.id, name: c.name, read, onlineCpus: availableParallelism() };
  const path = c.state.Running ? await cgroupPath(c) : undefined;
  if (!path) return { ...base, cgroup: undefined, systemCpuNs: 0, networks: undefined };
  const [cgroup, system, networks] = await Promise.all([readCgroupSample(path, await (v2 ??= isCgroupV2())), systemCpuNs(), readNetDev(c.state.Pid)]);
  return { ...base, cgroup, systemCpuNs: system, networks: c.runtime.effectiveNetworkMode === 'host' ? undefined : networks };
}

/**
 * GET /containers/{id}/stats: yields a reading with the previous one, every
 * second while `stream`; otherwise once — after a second reading unless
 * `oneShot` (Docker's stream=false waits for a real CPU delta).
 */
export async function* containerStats(
  sup: ContainerSupervisor,
  ref: string,
  opts: { stream: boolean; oneShot: boolean; signal?: AbortSignal },
): AsyncGenerator<{ current: StatsSample; previous: StatsSample | undefined }> {
  const c0 = requireContainer(sup.ctx.db, ref);
  let previous: StatsSample | undefined;
  let current = await readStats(sup, c0);
  if (!opts.stream) {
    if (!opts.oneShot && current.cgroup) {
      await sleep(1000, opts.signal);
      previous = current;
      current = await readStats(sup, requireContainer(sup.ctx.db, c0.id));
    }
    yield { current, previous };
    return;
  }
  for (;;) {
    yield { current, previous };
    if (opts.signal?.aborted || !current.cgroup) return;
    await sleep(1000, opts.signal);
    if (opts.signal?.aborted) return;
    const c = requireContainer(sup.ctx.db, c0.id);
    previous = current;
    current = await readStats(sup, c);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
