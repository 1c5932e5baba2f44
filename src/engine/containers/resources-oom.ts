import { readFile, rm } from 'node:fs/promises';
import type { ContainerRecord } from './container-model.js';
import type { ContainerSupervisor } from './supervisor.js';

/**
 * Whether the container's last run hit the OOM killer: conmon leaves an
 * `oom` file in its persist dir (the bundle) when the cgroup reports an OOM
 * kill; the cgroup v1 counter is a fallback while the cgroup still exists.
 * Consumes the marker and publishes Docker's `oom` event.
 */
export async function takeOomMarker(sup: ContainerSupervisor, c: ContainerRecord): Promise<boolean> {
  const marker = `${c.runtime.bundleDir}/oom`;
  let oom = await readFile(marker).then(
    () => true,
    () => false,
  );
  if (oom) await rm(marker, { force: true });
  else oom = await cgroupV1OomKills(c);
  if (oom) sup.ctx.events.publish('container', 'oom', c.id, { image: c.imageRef, name: c.name, ...c.config.Labels });
  return oom;
}

async function cgroupV1OomKills(c: ContainerRecord): Promise<boolean> {
  try {
    const spec = JSON.parse(await readFile(`${c.runtime.bundleDir}/config.json`, 'utf8')) as { linux?: { cgroupsPath?: string } };
    const path = spec.linux?.cgroupsPath;
    if (!path) return false;
    const text = await readFile(`/sys/fs/cgroup/memory${path}/memory.oom_control`, 'utf8');
    return Number(/^oom_kill (\d+)$/m.exec(text)?.[1] ?? 0) > 0;
  } catch {
    return false;
  }
}
