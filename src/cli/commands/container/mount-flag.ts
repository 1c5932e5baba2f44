/**
 * docker's `--mount` CSV (cli/opts/mount.go): `type=bind|volume|tmpfs`,
 * `source|src`, `target|destination|dst`, `readonly|ro[=bool]`,
 * `bind-propagation`, `bind-create-mountpoint`, `volume-nocopy`,
 * `volume-driver`, `volume-opt=k=v`, `volume-label=k=v`, `volume-subpath`,
 * `tmpfs-size`, `tmpfs-mode`. Returns the HostConfig.Mounts entry.
 */
export interface MountFlagValue {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

const bool = (key: string, v: string | undefined): boolean => {
  if (v === undefined || ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
};

/** go-units RAMInBytes: "64m", "1g", "1024". */
function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP]?)[iI]?[bB]?$/.exec(v);
  if (!m) throw new Error(`invalid size: '${v}'`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * (mult[(m[2] ?? '').toLowerCase()] ?? 1));
}

function splitCsv(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseMountFlag(value: string): MountFlagValue {
  const m: MountFlagValue = { Type: 'volume' };
  const vol = (): NonNullable<MountFlagValue['VolumeOptions']> => (m.VolumeOptions ??= {});
  const bind = (): NonNullable<MountFlagValue['BindOptions']> => (m.BindOptions ??= {});
  const tmpfs = (): NonNullable<MountFlagValue['TmpfsOptions']> => (m.TmpfsOptions ??= {});
  for (const field of splitCsv(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const v = eq < 0 ? undefined : field.slice(eq + 1);
    if (eq < 0 && !['readonly', 'ro', 'volume-nocopy', 'bind-create-mountpoint'].includes(key)) {
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    switch (key) {
      case 'type':
        m.Type = v ?? '';
        break;
      case 'source':
      case 'src':
        m.Source = v ?? '';
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = v ?? '';
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = bool(key, v);
        break;
      case 'bind-propagation':
        bind().Propagation = v ?? '';
        break;
      case 'bind-create-mountpoint':
        bind().CreateMountpoint = bool(key, v);
        break;
      case 'volume-nocopy':
        vol().NoCopy = bool(key, v);
        break;
      case 'volume-driver':
        vol().DriverConfig = { ...(vol().DriverConfig ?? {}), Name: v ?? '' };
        break;
      case 'volume-subpath':
        vol().Subpath = v ?? '';
        break;
      case 'volume-opt':
      case 'volume-label': {
        const kv = v ?? '';
        const i = kv.indexOf('=');
        const [k, x] = i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
        if (key === 'volume-label') vol().Labels = { ...(vol().Labels ?? {}), [k]: x };
        else vol().DriverConfig = { ...(vol().DriverConfig ?? {}), Options: { ...(vol().DriverConfig?.Options ?? {}), [k]: x } };
        break;
      }
      case 'tmpfs-size':
        tmpfs().SizeBytes = ramInBytes(v ?? '');
        break;
      case 'tmpfs-mode':
        tmpfs().Mode = Number.parseInt(v ?? '', 8);
        break;
      case 'consistency':
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.Type === '') throw new Error('type is required');
  if ((m.Target ?? '') === '') throw new Error('target is required');
  return m;
}
