import type { ContainerRecord } from '../../../engine/containers/container-model.js';

/** Container Mounts[] (inspect and list) in Docker's MountPoint shape. */
export function mountsWire(c: ContainerRecord): Record<string, unknown>[] {
  // dockerd lists HostConfig.Tmpfs mounts nowhere but HostConfig (they are not mount points).
  return (c.runtime.mounts ?? []).filter((m) => m.tmpfsOption !== true).map((m) => {
    if (m.type === 'volume') {
      return { Type: 'volume', Name: m.name ?? '', Source: m.source, Destination: m.destination, Driver: 'local', Mode: m.mode, RW: !m.readOnly, Propagation: '' };
    }
    if (m.type === 'tmpfs') return { Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: !m.readOnly, Propagation: '' };
    return { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.mode, RW: !m.readOnly, Propagation: m.propagation };
  });
}
