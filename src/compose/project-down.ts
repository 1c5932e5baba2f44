import type { BerthClient } from '../client/berth-client.js';
import { isNotFound } from '../client/client-error.js';
import { projectContainers, projectNetworks, projectVolumes, type Progress } from './project-resources.js';

export interface DownOptions {
  progress: Progress;
  /** `-v`: also remove the project's named volumes. */
  volumes: boolean;
}

const ignoreGone = (err: unknown): void => {
  if (!isNotFound(err)) throw err;
};

/** `down`: the project's containers, then its networks (and with `volumes` its volumes), all found by project label. */
export async function projectDown(client: BerthClient, project: string, options: DownOptions): Promise<void> {
  const { progress } = options;
  // Containers stop in parallel, as compose v2 does: each may take its full stop timeout.
  await Promise.all(
    (await projectContainers(client, project)).map(async (c) => {
      const name = (c.Names[0] ?? c.Id).replace(/^\//, '');
      if (c.State === 'running' || c.State === 'paused' || c.State === 'restarting') {
        progress({ kind: 'Container', name, state: 'Stopping' });
        await client.containers.stop(c.Id).catch(ignoreGone);
        progress({ kind: 'Container', name, state: 'Stopped' });
      }
      await client.containers.remove(c.Id, { force: true, volumes: options.volumes }).catch(ignoreGone);
      progress({ kind: 'Container', name, state: 'Removed' });
    }),
  );
  if (options.volumes) {
    for (const v of await projectVolumes(client, project)) {
      await client.transport.call('DELETE', `/volumes/${encodeURIComponent(v.Name)}`).catch(ignoreGone);
      progress({ kind: 'Volume', name: v.Name, state: 'Removed' });
    }
  }
  for (const n of await projectNetworks(client, project)) {
    await client.transport.call('DELETE', `/networks/${encodeURIComponent(n.Id)}`).catch(ignoreGone);
    progress({ kind: 'Network', name: n.Name, state: 'Removed' });
  }
}
