import type { EngineContext } from '../engine-context.js';
import { LocalVolumeDriver } from '../../volumes/local-driver.js';
import type { VolumeDriver } from '../../volumes/volume-driver.js';
import type { VolumeRow } from '../../store/volume-queries.js';

/** A volume as the engine keeps it. */
export interface VolumeRecord {
  name: string;
  driver: string;
  /** RFC3339 (seconds, with zone), as Docker's CreatedAt. */
  createdAt: string;
  labels: Record<string, string>;
  options: Record<string, string>;
  anonymous: boolean;
  mountpoint: string;
}

/** One mount of a container after create resolved it (stored in the container's runtime facts). */
export interface ResolvedMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (volume mounts only). */
  name?: string;
  /** Host path: the volume's data dir or the bind source; '' for tmpfs. */
  source: string;
  destination: string;
  readOnly: boolean;
  /** The mode string as given (`z`, `ro,Z`, …); Docker shows it in Mounts[].Mode. */
  mode: string;
  propagation: string;
  /** Copy the image's content into an empty volume at first use. */
  copyData: boolean;
  /** Anonymous volume created for this container (removed by `rm -v`). */
  anonymous?: boolean;
  /** tmpfs mount options (size=…, mode=…). */
  tmpfsOptions?: string[];
  /** Bind without the mounts under the source (--mount bind-recursive=disabled, BindOptions.NonRecursive). */
  nonRecursive?: boolean;
  /** Volume subpath (--mount volume-subpath). */
  subpath?: string;
  /** From HostConfig.Tmpfs (`--tmpfs`): dockerd keeps these out of Mounts[] and `--volumes-from`. */
  tmpfsOption?: boolean;
}

const drivers = new WeakMap<EngineContext, VolumeDriver>();

/** The local driver of this daemon (the only one Berth has). */
export function volumeDriver(ctx: EngineContext): VolumeDriver {
  let d = drivers.get(ctx);
  if (!d) {
    d = new LocalVolumeDriver(`${ctx.settings.dataRoot}/volumes`, ctx.settings.userns?.root);
    drivers.set(ctx, d);
  }
  return d;
}

export function volumeFromRow(ctx: EngineContext, row: VolumeRow): VolumeRecord {
  return {
    name: row.name,
    driver: row.driver,
    createdAt: row.created_at,
    labels: JSON.parse(row.labels_json) as Record<string, string>,
    options: JSON.parse(row.options_json) as Record<string, string>,
    anonymous: row.anonymous === 1,
    mountpoint: volumeDriver(ctx).mountpoint(row.name),
  };
}

/** Go's time.RFC3339 in local time with offset, as Docker prints CreatedAt. */
export function rfc3339Now(): string {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const pad = (n: number): string => String(Math.abs(n)).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`}`;
}
