import { existsSync, type Stats } from 'node:fs';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { invalidArgument } from '../../errors/engine-error.js';
import { usernsPinFor } from '../../network/userns-netns.js';
import type { OciSpec } from '../../runtime/oci-spec-types.js';
import type { UsernsRemap } from './userns-remap.js';

/*
 * What userns-remap changes for containers: the spec's user namespace, the
 * owners of the files berthd makes for them, and directories they must be
 * able to traverse. The mapping itself comes from userns-remap.ts.
 */

/** True when the container runs in the remapped user namespace. */
export function usesRemap(remap: UsernsRemap | undefined, usernsMode: string | undefined): remap is UsernsRemap {
  return remap !== undefined && usernsMode !== 'host';
}

/**
 * The user namespace for a container's spec: the namespace (new, or the
 * one owning berthd's network namespace at `usernsPath`), the id maps, and
 * a sysfs bind instead of a sysfs mount when the user namespace does not
 * own the network namespace (sysfs may not be mounted then).
 */
export function withUserNamespace(spec: OciSpec, remap: UsernsRemap, usernsPath?: string): OciSpec {
  const linux = spec.linux ?? {};
  const ownsNetns = usernsPath !== undefined || (linux.namespaces ?? []).some((n) => n.type === 'network' && n.path === undefined);
  const mounts = (spec.mounts ?? []).map((m) =>
    m.type === 'sysfs' && !ownsNetns ? { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] } : m,
  );
  return {
    ...spec,
    mounts,
    linux: {
      ...linux,
      namespaces: [...(linux.namespaces ?? []), usernsPath !== undefined ? { type: 'user', path: usernsPath } : { type: 'user' }],
      uidMappings: remap.idMap.uids.map((r) => ({ containerID: r.containerId, hostID: r.hostId, size: r.size })),
      gidMappings: remap.idMap.gids.map((r) => ({ containerID: r.containerId, hostID: r.hostId, size: r.size })),
    },
  };
}

/** Makes `dir` owned by root with the remapped root's group, mode 0710, so the container's root can traverse it (moby MkdirAllAndChown 0710). */
export async function chownDirForRemap(dir: string, remap: UsernsRemap): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o710 });
  await chown(dir, 0, remap.root.gid);
  await chmod(dir, 0o710);
}

/** Chowns the files a container's root must own: its /etc files, the rootfs mountpoint, the writable layer's upper and work dirs. Missing ones are skipped. */
export async function chownToRemappedRoot(paths: readonly string[], remap: UsernsRemap): Promise<void> {
  for (const p of paths) {
    await chown(p, remap.root.uid, remap.root.gid).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

/**
 * The remapped data root `<data-root>/<uid>.<gid>` (as dockerd's), with the
 * directories on the way to a container's files traversable by its root.
 * Throws dockerd's error when an existing parent blocks it.
 */
export async function prepareRemappedRoots(dataRoot: string, execRoot: string, remap: UsernsRemap): Promise<string> {
  await mkdir(dataRoot, { recursive: true, mode: 0o711 });
  await chmod(dataRoot, 0o711);
  const root = `${dataRoot}/${remap.root.uid}.${remap.root.gid}`;
  await chownDirForRemap(root, remap);
  await chownDirForRemap(`${root}/containers`, remap);
  // runc resolves the rootfs and mount sources inside the user namespace: the bundles' parents must be searchable (containerd uses 0711 the same way).
  for (const dir of [execRoot, `${execRoot}/containers`]) {
    await mkdir(dir, { recursive: true, mode: 0o711 });
    await chmod(dir, (await stat(dir)).mode | 0o011);
  }
  for (let dir = dirname(root); dir !== '/'; dir = dirname(dir)) {
    if (!canTraverse(await stat(dir), remap)) {
      throw invalidArgument(`a subdirectory in your graphroot path (${root}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
    }
  }
  return root;
}

function canTraverse(st: Stats, remap: UsernsRemap): boolean {
  return (st.mode & 0o001) !== 0 || (st.uid === remap.root.uid && (st.mode & 0o100) !== 0) || (st.gid === remap.root.gid && (st.mode & 0o010) !== 0);
}

/** At create, with remapping on (also for `--userns=host`, as dockerd): the container's dir and files belong to its remapped root. */
export async function remapContainerFiles(
  r: { readonly containerDir: string; readonly rwDir: string; readonly hostnamePath: string; readonly hostsPath: string; readonly resolvConfPath: string },
  remap: UsernsRemap,
): Promise<void> {
  await chownDirForRemap(r.containerDir, remap);
  await chownDirForRemap(r.rwDir, remap);
  await chownToRemappedRoot([r.hostnamePath, r.hostsPath, r.resolvConfPath, `${r.rwDir}/upper`, `${r.rwDir}/work`, `${r.rwDir}/empty`], remap);
}

/**
 * The user namespace a remapped container joins: the one berthd made with
 * its network namespace, or for `--network container:X` X's; undefined
 * (a new one) when the runtime makes the network namespace too.
 */
export function remappedUsernsPath(network: { readonly netnsPath: string; readonly shared: boolean } | undefined): string | undefined {
  if (!network) return undefined;
  const m = /^\/proc\/(\d+)\/ns\/net$/.exec(network.netnsPath);
  if (m) return `/proc/${m[1] ?? ''}/ns/user`;
  const pin = usernsPinFor(network.netnsPath);
  return existsSync(pin) ? pin : undefined;
}
