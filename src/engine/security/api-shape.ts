import { invalidArgument } from '../../errors/engine-error.js';

/**
 * JSON type checks for request bodies, the way Go's encoding/json refuses a
 * value of the wrong type ("json: cannot unmarshal number into Go struct
 * field Config.Env of type []string", a 400) instead of letting it reach the
 * engine as a surprise. `null` is accepted everywhere (Go's zero value) and
 * unknown fields are ignored, as Docker does.
 */
export type Shape =
  | 's'
  | 'b'
  | 'i'
  | 'strslice'
  | 'any'
  | { readonly arr: Shape }
  | { readonly map: Shape }
  | { readonly obj: Readonly<Record<string, Shape>>; readonly name: string };

const goType = (s: Shape): string => {
  if (s === 's') return 'string';
  if (s === 'b') return 'bool';
  if (s === 'i') return 'int64';
  if (s === 'strslice') return 'strslice.StrSlice';
  if (s === 'any') return 'interface {}';
  if ('arr' in s) return `[]${goType(s.arr)}`;
  if ('map' in s) return `map[string]${goType(s.map)}`;
  return `container.${s.name}`;
};

const jsonKind = (v: unknown): string => {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return `number ${String(v)}`.replace(/^number (\d+)$/, 'number');
  return typeof v;
};

const INT64 = 2 ** 63;

/** Go's zero value for a null inside an array (a null struct field is dropped instead: nil or zero). */
function zeroValue(s: Shape): unknown {
  if (s === 's') return '';
  if (s === 'b') return false;
  if (s === 'i') return 0;
  if (s === 'any') return null;
  if (s === 'strslice' || 'arr' in s) return [];
  return {};
}

/**
 * Checks `v` against `s` and, as encoding/json does, turns nulls into zero
 * values in place (an object field set to null is removed; a null array
 * element becomes "", 0, false or {}), so the engine never sees a null
 * where it expects a value.
 */
function check(v: unknown, s: Shape, where: string): void {
  if (v === null || v === undefined || s === 'any') return;
  const fail = (): never => {
    throw invalidArgument(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${where} of type ${goType(s)}`);
  };
  if (s === 's') return void (typeof v === 'string' || fail());
  if (s === 'b') return void (typeof v === 'boolean' || fail());
  if (s === 'i') return void ((typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < INT64) || fail());
  if (s === 'strslice') {
    if (typeof v === 'string') return;
    if (!Array.isArray(v)) fail();
    const items = v as unknown[];
    items.forEach((x, i) => {
      if (x === null) items[i] = '';
      else if (typeof x !== 'string') fail();
    });
    return;
  }
  if ('arr' in s) {
    if (!Array.isArray(v)) fail();
    const items = v as unknown[];
    items.forEach((x, i) => {
      if (x === null) items[i] = zeroValue(s.arr);
      else check(x, s.arr, where);
    });
    return;
  }
  if (typeof v !== 'object' || Array.isArray(v)) fail();
  const rec = v as Record<string, unknown>;
  if ('map' in s) {
    for (const x of Object.values(rec)) check(x, s.map, where);
    return;
  }
  for (const [k, sub] of Object.entries(s.obj)) {
    if (!(k in rec)) continue;
    if (rec[k] === null) delete rec[k];
    else check(rec[k], sub, `${s.name}.${k}`);
  }
}

const strs = { arr: 's' } as const;
const strMap = { map: 's' } as const;
const anyMap = { map: 'any' } as const;

const healthcheck: Shape = { name: 'HealthConfig', obj: { Test: strs, Interval: 'i', Timeout: 'i', StartPeriod: 'i', StartInterval: 'i', Retries: 'i' } };

export const containerConfigShape: Shape = {
  name: 'Config',
  obj: {
    Hostname: 's', Domainname: 's', User: 's', AttachStdin: 'b', AttachStdout: 'b', AttachStderr: 'b', ExposedPorts: anyMap,
    Tty: 'b', OpenStdin: 'b', StdinOnce: 'b', Env: strs, Cmd: 'strslice', Healthcheck: healthcheck, ArgsEscaped: 'b', Image: 's',
    Volumes: anyMap, WorkingDir: 's', Entrypoint: 'strslice', NetworkDisabled: 'b', MacAddress: 's', OnBuild: strs, Labels: strMap,
    StopSignal: 's', StopTimeout: 'i', Shell: 'strslice',
  },
};

const resources: Record<string, Shape> = {
  CpuShares: 'i', Memory: 'i', NanoCpus: 'i', CgroupParent: 's', BlkioWeight: 'i', BlkioWeightDevice: { arr: 'any' },
  BlkioDeviceReadBps: { arr: 'any' }, BlkioDeviceWriteBps: { arr: 'any' }, BlkioDeviceReadIOps: { arr: 'any' }, BlkioDeviceWriteIOps: { arr: 'any' },
  CpuPeriod: 'i', CpuQuota: 'i', CpuRealtimePeriod: 'i', CpuRealtimeRuntime: 'i', CpusetCpus: 's', CpusetMems: 's',
  Devices: { arr: { name: 'DeviceMapping', obj: { PathOnHost: 's', PathInContainer: 's', CgroupPermissions: 's' } } },
  DeviceCgroupRules: strs, DeviceRequests: { arr: 'any' }, KernelMemory: 'i', KernelMemoryTCP: 'i', MemoryReservation: 'i', MemorySwap: 'i',
  MemorySwappiness: 'i', OomKillDisable: 'b', PidsLimit: 'i', CpuCount: 'i', CpuPercent: 'i', IOMaximumIOps: 'i', IOMaximumBandwidth: 'i',
  Ulimits: { arr: { name: 'Ulimit', obj: { Name: 's', Soft: 'i', Hard: 'i' } } },
};

const restartPolicy: Shape = { name: 'RestartPolicy', obj: { Name: 's', MaximumRetryCount: 'i' } };

export const hostConfigShape: Shape = {
  name: 'HostConfig',
  obj: {
    ...resources,
    Binds: strs, ContainerIDFile: 's', LogConfig: { name: 'LogConfig', obj: { Type: 's', Config: strMap } }, NetworkMode: 's',
    PortBindings: { map: { arr: { name: 'PortBinding', obj: { HostIp: 's', HostPort: 's' } } } }, RestartPolicy: restartPolicy,
    AutoRemove: 'b', VolumeDriver: 's', VolumesFrom: strs,
    Mounts: {
      arr: {
        name: 'Mount',
        obj: {
          Type: 's', Source: 's', Target: 's', ReadOnly: 'b', Consistency: 's',
          BindOptions: { name: 'BindOptions', obj: { Propagation: 's', NonRecursive: 'b', CreateMountpoint: 'b', ReadOnlyNonRecursive: 'b', ReadOnlyForceRecursive: 'b' } },
          VolumeOptions: { name: 'VolumeOptions', obj: { NoCopy: 'b', Labels: strMap, Subpath: 's', DriverConfig: { name: 'Driver', obj: { Name: 's', Options: strMap } } } },
          TmpfsOptions: { name: 'TmpfsOptions', obj: { SizeBytes: 'i', Mode: 'i', Options: { arr: strs } } },
        },
      },
    },
    CapAdd: 'strslice', CapDrop: 'strslice', CgroupnsMode: 's', Dns: strs, DnsOptions: strs, DnsSearch: strs, ExtraHosts: strs, GroupAdd: strs,
    IpcMode: 's', Cgroup: 's', Links: strs, OomScoreAdj: 'i', PidMode: 's', Privileged: 'b', PublishAllPorts: 'b', ReadonlyRootfs: 'b',
    SecurityOpt: strs, StorageOpt: strMap, Tmpfs: strMap, UTSMode: 's', UsernsMode: 's', ShmSize: 'i', Sysctls: strMap, Runtime: 's',
    Isolation: 's', MaskedPaths: strs, ReadonlyPaths: strs, ConsoleSize: { arr: 'i' }, Init: 'b', Annotations: strMap,
  },
};

/** POST /containers/{id}/update: Resources plus RestartPolicy. */
export const updateConfigShape: Shape = { name: 'UpdateConfig', obj: { ...resources, RestartPolicy: restartPolicy } };

export const execConfigShape: Shape = {
  name: 'ExecOptions',
  obj: {
    User: 's', Privileged: 'b', Tty: 'b', ConsoleSize: { arr: 'i' }, AttachStdin: 'b', AttachStderr: 'b', AttachStdout: 'b',
    DetachKeys: 's', Env: strs, WorkingDir: 's', Cmd: 'strslice',
  },
};

const ipamConfig: Shape = { name: 'IPAMConfig', obj: { Subnet: 's', IPRange: 's', Gateway: 's', AuxiliaryAddresses: strMap } };

/** POST /networks/create (moby's NetworkCreateRequest). */
export const networkCreateShape: Shape = {
  name: 'NetworkCreateRequest',
  obj: {
    Name: 's', CheckDuplicate: 'b', Driver: 's', Scope: 's', EnableIPv4: 'b', EnableIPv6: 'b', Internal: 'b', Attachable: 'b', Ingress: 'b',
    ConfigOnly: 'b', Options: strMap, Labels: strMap,
    IPAM: { name: 'IPAM', obj: { Driver: 's', Options: strMap, Config: { arr: ipamConfig } } },
  },
};

/** Throws a 400 EngineError when `value` does not fit `shape`. */
export function checkShape(value: unknown, shape: Shape): void {
  check(value, shape, typeof shape === 'object' && 'name' in shape ? shape.name : 'body');
}
