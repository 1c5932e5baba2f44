import { mkdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { invalidArgument, notFound } from '../../errors/engine-error.js';
import type { EngineContext } from '../engine-context.js';
import { findContainer } from '../containers/container-repo.js';
import { createVolume, validateVolumeName } from './create.js';
import type { ResolvedMount } from './volume-model.js';

/** HostConfig.Mounts[] entry as the API sends it. */
export interface MountSpec {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface MountInputs {
  readonly binds: readonly string[] | null | undefined;
  readonly mounts: readonly MountSpec[] | null | undefined;
  readonly tmpfs: Readonly<Record<string, string>> | null | undefined;
  /** Config.Volumes after the image merge (anonymous volumes). */
  readonly volumes: Readonly<Record<string, unknown>> | null | undefined;
  readonly volumesFrom: readonly string[] | null | undefined;
}

const propagations = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const bindModes = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', ...propagations]);

const spec = (raw: string, why: string): Error => invalidArgument(`invalid volume specification: '${raw}': ${why}`);
const mountErr = (type: string, why: string): Error => invalidArgument(`invalid mount config for type "${type}": ${why}`);

function checkTarget(target: string, onError: (why: string) => Error): string {
  if (target === '') throw onError('field Target must not be empty');
  if (!target.startsWith('/')) throw onError(`invalid mount path: '${target}' mount path must be absolute`);
  const clean = posix.normalize(target).replace(/(.)\/$/, '$1');
  if (clean === '/') throw onError('invalid specification: destination can\'t be \'/\'');
  return clean;
}

/** Splits `src:dst:mode` the way Docker's linux parser does (only three fields, no drive letters). */
function splitBind(raw: string): string[] {
  const parts = raw.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw spec(raw, 'invalid volume specification');
  return parts;
}

/**
 * Validates the mount requests of a container create and turns them into
 * one resolved list: named and anonymous volumes are created, `-v` bind
 * sources are created when missing (as Docker), `--mount` bind sources must
 * exist. The order and the errors are Docker's (volume/mounts/linux_parser.go).
 */
export async function resolveMounts(ctx: EngineContext, inputs: MountInputs): Promise<ResolvedMount[]> {
  const out: ResolvedMount[] = [];
  const toCreate: { m: ResolvedMount; labels?: Record<string, string>; opts?: Record<string, string> }[] = [];
  const add = (m: ResolvedMount): void => {
    if (out.some((o) => o.destination === m.destination)) throw invalidArgument(`Duplicate mount point: ${m.destination}`);
    out.push(m);
  };

  for (const raw of inputs.binds ?? []) {
    const parts = splitBind(raw);
    if (parts.length === 1) {
      add(anonymous(checkTarget(parts[0] as string, (w) => spec(raw, w)), false, ''));
      continue;
    }
    const [src = '', dstRaw = '', mode = ''] = parts;
    const modes = mode === '' ? [] : mode.split(',');
    for (const m of modes) if (!bindModes.has(m)) throw spec(raw, `invalid mode: ${m}`);
    const destination = checkTarget(dstRaw, (w) => spec(raw, w));
    const readOnly = modes.includes('ro');
    const propagation = modes.find((m) => propagations.has(m)) ?? '';
    if (src.startsWith('/')) {
      if (modes.includes('nocopy')) throw spec(raw, 'invalid mode: nocopy');
      const source = posix.normalize(src).replace(/(.)\/$/, '$1');
      await mkdir(source, { recursive: true, mode: 0o755 });
      add({ type: 'bind', source, destination, readOnly, mode, propagation: propagation === '' ? 'rprivate' : propagation, copyData: false });
      continue;
    }
    validateVolumeName(src);
    if (propagation !== '') throw spec(raw, `invalid mode: ${propagation}`);
    const m: ResolvedMount = { type: 'volume', name: src, source: '', destination, readOnly, mode, propagation: '', copyData: !modes.includes('nocopy') };
    add(m);
    toCreate.push({ m });
  }

  for (const ms of inputs.mounts ?? []) {
    const type = ms.Type ?? '';
    const destination = checkTarget(ms.Target ?? '', (w) => mountErr(type, w));
    const readOnly = ms.ReadOnly === true;
    if (type === 'bind') {
      const src = ms.Source ?? '';
      if (src === '') throw mountErr(type, 'field Source must not be empty');
      if (!src.startsWith('/')) throw mountErr(type, `invalid mount path: '${src}' mount path must be absolute`);
      if (ms.VolumeOptions) throw mountErr(type, 'field VolumeOptions must not be specified');
      if (ms.TmpfsOptions) throw mountErr(type, 'field TmpfsOptions must not be specified');
      const source = posix.normalize(src).replace(/(.)\/$/, '$1');
      const exists = await stat(source).then(() => true, () => false);
      if (!exists) {
        if (ms.BindOptions?.CreateMountpoint) await mkdir(source, { recursive: true, mode: 0o755 });
        else throw mountErr(type, `bind source path does not exist: ${source}`);
      }
      const propagation = ms.BindOptions?.Propagation ?? '';
      if (propagation !== '' && !propagations.has(propagation)) throw mountErr(type, `invalid propagation mode: ${propagation}`);
      add({
        type: 'bind', source, destination, readOnly, mode: '', propagation: propagation === '' ? 'rprivate' : propagation, copyData: false,
        ...(ms.BindOptions?.NonRecursive === true ? { nonRecursive: true } : {}),
      });
    } else if (type === 'volume') {
      if (ms.BindOptions) throw mountErr(type, 'field BindOptions must not be specified');
      if (ms.TmpfsOptions) throw mountErr(type, 'field TmpfsOptions must not be specified');
      const vo = ms.VolumeOptions ?? {};
      const driver = vo.DriverConfig?.Name ?? '';
      if (driver !== '' && driver !== 'local') throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      const subpath = vo.Subpath ?? '';
      if (subpath !== '' && (subpath.startsWith('/') || subpath.split('/').includes('..'))) {
        throw mountErr(type, 'subpath must be a relative path within the volume');
      }
      const name = ms.Source ?? '';
      if (name === '') {
        add({ ...anonymous(destination, readOnly, ''), copyData: vo.NoCopy !== true });
        toCreate.push({ m: out[out.length - 1] as ResolvedMount, ...(vo.Labels ? { labels: vo.Labels } : {}), ...(vo.DriverConfig?.Options ? { opts: vo.DriverConfig.Options } : {}) });
        continue;
      }
      validateVolumeName(name);
      const m: ResolvedMount = {
        type: 'volume', name, source: '', destination, readOnly, mode: '', propagation: '', copyData: vo.NoCopy !== true,
        ...(subpath !== '' ? { subpath } : {}),
      };
      add(m);
      toCreate.push({ m, ...(vo.Labels ? { labels: vo.Labels } : {}), ...(vo.DriverConfig?.Options ? { opts: vo.DriverConfig.Options } : {}) });
    } else if (type === 'tmpfs') {
      if ((ms.Source ?? '') !== '') throw mountErr(type, 'field Source must not be specified');
      if (ms.BindOptions) throw mountErr(type, 'field BindOptions must not be specified');
      if (ms.VolumeOptions) throw mountErr(type, 'field VolumeOptions must not be specified');
      const opts: string[] = [];
      const size = ms.TmpfsOptions?.SizeBytes ?? 0;
      if (size < 0) throw mountErr(type, 'invalid tmpfs size');
      if (size > 0) opts.push(`size=${Math.floor(size / 1024)}k`);
      if (ms.TmpfsOptions?.Mode) opts.push(`mode=${ms.TmpfsOptions.Mode.toString(8)}`);
      add({ type: 'tmpfs', source: '', destination, readOnly, mode: '', propagation: '', copyData: false, tmpfsOptions: opts });
    } else {
      throw invalidArgument(`invalid mount config: mount type unknown: "${type}"`);
    }
  }

  for (const [target, options] of Object.entries(inputs.tmpfs ?? {})) {
    const destination = checkTarget(target, (w) => invalidArgument(`invalid tmpfs mount '${target}': ${w}`));
    const opts = options === '' ? [] : options.split(',');
    const readOnly = opts.includes('ro');
    add({ type: 'tmpfs', source: '', destination, readOnly, mode: '', propagation: '', copyData: false, tmpfsOptions: opts.filter((o) => o !== 'ro' && o !== 'rw'), tmpfsOption: true });
  }

  for (const ref of inputs.volumesFrom ?? []) {
    const colon = ref.lastIndexOf(':');
    const hasMode = colon > 0 && ['ro', 'rw'].includes(ref.slice(colon + 1));
    const name = hasMode ? ref.slice(0, colon) : ref;
    const modeOverride = hasMode ? ref.slice(colon + 1) : '';
    const from = findContainer(ctx.db, name);
    if (!from) throw notFound(`No such container: ${name}`);
    for (const m of from.runtime.mounts ?? []) {
      if (m.tmpfsOption === true) continue;
      if (out.some((o) => o.destination === m.destination)) continue;
      out.push({ ...m, readOnly: modeOverride === '' ? m.readOnly : modeOverride === 'ro', anonymous: false, copyData: false });
    }
  }

  for (const target of Object.keys(inputs.volumes ?? {})) {
    const destination = checkTarget(target, (w) => spec(target, w));
    if (out.some((o) => o.destination === destination)) continue;
    out.push(anonymous(destination, false, ''));
    toCreate.push({ m: out[out.length - 1] as ResolvedMount });
  }
  for (const m of out) if (m.type === 'volume' && m.anonymous && !toCreate.some((t) => t.m === m)) toCreate.push({ m });

  for (const t of toCreate) {
    const v = await createVolume(ctx, {
      ...(t.m.name !== undefined && !t.m.anonymous ? { name: t.m.name } : {}),
      ...(t.labels ? { labels: t.labels } : {}),
      ...(t.opts ? { driverOpts: t.opts } : {}),
    });
    t.m.name = v.name;
    t.m.source = v.mountpoint;
  }
  return out;
}

function anonymous(destination: string, readOnly: boolean, mode: string): ResolvedMount {
  return { type: 'volume', source: '', destination, readOnly, mode, propagation: '', copyData: true, anonymous: true };
}

/** The create-time call: reads the mount fields of a merged Config/HostConfig. */
export function resolveContainerMounts(
  ctx: EngineContext,
  config: { readonly Volumes: Readonly<Record<string, unknown>> | null },
  hostConfig: { readonly Binds: readonly string[] | null; readonly VolumesFrom: readonly string[] | null; readonly [key: string]: unknown },
): Promise<ResolvedMount[]> {
  return resolveMounts(ctx, {
    binds: hostConfig.Binds,
    mounts: (hostConfig['Mounts'] as MountSpec[] | null | undefined) ?? null,
    tmpfs: (hostConfig['Tmpfs'] as Record<string, string> | null | undefined) ?? null,
    volumes: config.Volumes,
    volumesFrom: hostConfig.VolumesFrom,
  });
}
