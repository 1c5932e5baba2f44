/**
 * A user-namespace identity mapping (Docker's idtools.IdentityMapping):
 * container ids [containerId, containerId+size) are host ids
 * [hostId, hostId+size). With `userns-remap` every file berthd writes for a
 * container (layers, writable layer, /etc files, volumes) is owned by the
 * host side of the mapping.
 */
export interface IdRange {
  readonly containerId: number;
  readonly hostId: number;
  readonly size: number;
}

export interface IdMapping {
  readonly uids: readonly IdRange[];
  readonly gids: readonly IdRange[];
}

/** Host id of a container id; ids outside the mapping become the overflow id (65534, "nobody"), as the kernel shows them. */
function toHost(ranges: readonly IdRange[], id: number): number {
  for (const r of ranges) if (id >= r.containerId && id < r.containerId + r.size) return r.hostId + (id - r.containerId);
  return OVERFLOW_ID;
}

/** Container id of a host id; host ids outside the mapping are kept (files berthd wrote unshifted, e.g. by a build step). */
function toContainer(ranges: readonly IdRange[], id: number): number {
  for (const r of ranges) if (id >= r.hostId && id < r.hostId + r.size) return r.containerId + (id - r.hostId);
  return id;
}

const OVERFLOW_ID = 65534;

export function hostUid(map: IdMapping, uid: number): number {
  return toHost(map.uids, uid);
}

export function hostGid(map: IdMapping, gid: number): number {
  return toHost(map.gids, gid);
}

export function containerUid(map: IdMapping, uid: number): number {
  return toContainer(map.uids, uid);
}

export function containerGid(map: IdMapping, gid: number): number {
  return toContainer(map.gids, gid);
}

/** The host ids of container root (0:0). */
export function remappedRoot(map: IdMapping): { uid: number; gid: number } {
  return { uid: hostUid(map, 0), gid: hostGid(map, 0) };
}
