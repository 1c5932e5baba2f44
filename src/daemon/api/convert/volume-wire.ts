import type { VolumeRecord } from '../../../engine/volumes/volume-model.js';
import type { VolumeUsage } from '../../../engine/volumes/inspect.js';

/** A Volume object in Docker's shape; UsageData only where Docker sends it (system df). */
export function volumeWire(v: VolumeRecord, usage?: VolumeUsage): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    // Docker shows null, not {}, for a volume created without labels or options.
    Labels: Object.keys(v.labels).length > 0 ? v.labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: Object.keys(v.options).length > 0 ? v.options : null,
    Scope: 'local',
    ...(usage ? { UsageData: { Size: usage.size, RefCount: usage.refCount } } : {}),
  };
}
