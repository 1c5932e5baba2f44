import type { ImageSummary } from '../../../engine/images/list.js';
import type { ImageInspect } from '../../../engine/images/inspect.js';
import type { ImageRunConfig } from '../../../images/image-config.js';
import { compareVersions } from '../versions.js';

/**
 * Every Engine API version difference in one place (STYLE rule 11). Handlers
 * build the current (v1.50) shape and pass it through the function for their
 * object here with the request's version; each gate names the moby router
 * check it matches (api/server/router/{image,container}).
 */

const lessThan = (version: string, than: string): boolean => compareVersions(version, than) < 0;

/** Inserts `extra` after key `after`, keeping Docker's field order. */
function insertAfter(obj: Record<string, unknown>, after: string, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k] = v;
    if (k === after) Object.assign(out, extra);
  }
  return out;
}

/** GET /images/json entries. */
export function imageSummaryShape(s: ImageSummary, version: string): Record<string, unknown> {
  let out: Record<string, unknown> = { ...s };
  // moby getImagesJSON: API < 1.43 shows untagged images as "<none>:<none>" / "<none>@<none>".
  if (lessThan(version, '1.43') && s.RepoTags.length === 0 && s.RepoDigests.length === 0) {
    out = { ...out, RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'] };
  }
  // dockerd 20.10 (API < 1.43, before the list's empty arrays) prints an image without digests or labels with null there.
  if (lessThan(version, '1.43')) {
    if (Array.isArray(out['RepoDigests']) && (out['RepoDigests'] as unknown[]).length === 0) out['RepoDigests'] = null;
    if (out['Labels'] !== null && typeof out['Labels'] === 'object' && Object.keys(out['Labels'] as object).length === 0) out['Labels'] = null;
  }
  // moby getImagesJSON: VirtualSize (= Size) until API 1.44 removed it.
  if (lessThan(version, '1.44')) out = insertAfter(out, 'Size', { VirtualSize: s.Size });
  return out;
}

/** Docker's zero container.Config, what API < 1.45 shows for an image without container_config. */
const ZERO_CONTAINER_CONFIG = {
  Hostname: '',
  Domainname: '',
  User: '',
  AttachStdin: false,
  AttachStdout: false,
  AttachStderr: false,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: null,
  Cmd: null,
  Image: '',
  Volumes: null,
  WorkingDir: '',
  Entrypoint: null,
  OnBuild: null,
  Labels: null,
};

/** The image config fields only old API versions show. */
export interface LegacyImageFields {
  readonly container?: string;
  readonly containerConfig?: ImageRunConfig;
}

/** GET /images/{name}/json. */
export function imageInspectShape(img: ImageInspect, version: string, legacy: LegacyImageFields): Record<string, unknown> {
  let out: Record<string, unknown> = { ...img };
  // moby getImagesByName: Container and ContainerConfig are still set below API 1.45.
  if (lessThan(version, '1.45')) {
    out = insertAfter(out, 'Created', { Container: legacy.container ?? '', ContainerConfig: legacy.containerConfig ?? ZERO_CONTAINER_CONFIG });
  }
  // moby getImagesByName: VirtualSize (= Size) below API 1.44.
  if (lessThan(version, '1.44')) out = insertAfter(out, 'Size', { VirtualSize: img.Size });
  // moby v28 image inspect: below API 1.50 Config is a whole container.Config (zero fields included, as dockerd 20.10 shows it).
  if (lessThan(version, '1.50') && img.Config !== undefined && img.Config !== null) out['Config'] = legacyImageConfig(img.Config);
  return out;
}

/** An image config in container.Config's field order, with the zero values Go prints for fields without omitempty. */
function legacyImageConfig(config: object): Record<string, unknown> {
  const c = config as Record<string, unknown>;
  const zero = ZERO_CONTAINER_CONFIG as Record<string, unknown>;
  const order = ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'ArgsEscaped', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'NetworkDisabled', 'MacAddress', 'OnBuild', 'Labels', 'StopSignal', 'StopTimeout', 'Shell'];
  const out: Record<string, unknown> = {};
  for (const key of order) {
    const v = c[key] !== undefined ? c[key] : zero[key];
    if (v !== undefined) out[key] = v;
  }
  for (const [k, v] of Object.entries(c)) if (!(k in out)) out[k] = v;
  return out;
}

const BUILTIN_NETWORK_MODES = new Set(['bridge', 'host', 'none', 'default']);

/** Endpoint fields newer than the request's version: DNSNames (API 1.44), GwPriority (1.48). */
function endpointShape(networks: unknown, version: string): void {
  for (const ep of Object.values((networks ?? {}) as Record<string, Record<string, unknown>>)) {
    if (lessThan(version, '1.44')) delete ep['DNSNames'];
    if (lessThan(version, '1.48')) delete ep['GwPriority'];
  }
}

/** GET /containers/json entries. */
export function containerSummaryShape(wire: Record<string, unknown>, version: string): Record<string, unknown> {
  endpointShape((wire['NetworkSettings'] as { Networks?: unknown } | undefined)?.Networks, version);
  return wire;
}

/** GET /containers/{id}/json. */
export function containerInspectShape(wire: Record<string, unknown>, version: string): Record<string, unknown> {
  endpointShape((wire['NetworkSettings'] as { Networks?: unknown } | undefined)?.Networks, version);
  const host = wire['HostConfig'] as Record<string, unknown> | undefined;
  // moby getContainersByName: below API 1.42 KernelMemory and KernelMemoryTCP are always shown (0 when unset).
  if (host && lessThan(version, '1.42') && !('KernelMemory' in host)) {
    wire['HostConfig'] = insertAfter(host, 'DeviceRequests', { KernelMemory: 0, KernelMemoryTCP: 0 });
  }
  if (!lessThan(version, '1.45')) return wire;
  // moby getContainersByName: below API 1.45 the short id and hostname are listed among a user-defined network's Aliases.
  const settings = wire['NetworkSettings'] as { Networks?: Record<string, Record<string, unknown>> } | undefined;
  const id = typeof wire['Id'] === 'string' ? wire['Id'].slice(0, 12) : '';
  const hostname = (wire['Config'] as { Hostname?: string } | undefined)?.Hostname ?? '';
  for (const [name, ep] of Object.entries(settings?.Networks ?? {})) {
    if (BUILTIN_NETWORK_MODES.has(name) || name.startsWith('container:')) continue;
    const aliases = Array.isArray(ep['Aliases']) ? (ep['Aliases'] as string[]) : [];
    ep['Aliases'] = [...new Set([...aliases, id, hostname])];
  }
  return wire;
}

/** GET /info, built in the v1.50 shape; `bridgeNf` are the host's bridge-nf-call-ip(6)tables settings. */
export function infoShape(info: Record<string, unknown>, version: string, bridgeNf: { readonly iptables: boolean; readonly ip6tables: boolean }): Record<string, unknown> {
  let out: Record<string, unknown> = { ...info };
  // moby 28 system info: CDISpecDirs since API 1.44, Containerd since 1.46.
  if (lessThan(version, '1.44')) delete out['CDISpecDirs'];
  if (lessThan(version, '1.46')) delete out['Containerd'];
  // moby 28: BridgeNfIp(6)tables always false from API 1.48, omitted from 1.50; dockerd 20.10 reports the host's settings.
  if (lessThan(version, '1.50')) {
    const old = lessThan(version, '1.48');
    out = insertAfter(out, 'IPv4Forwarding', { BridgeNfIptables: old && bridgeNf.iptables, BridgeNfIp6tables: old && bridgeNf.ip6tables });
  }
  // dockerd 20.10 (API < 1.42) always lists the kernel-memory capabilities; Berth does not set kernel memory limits.
  if (lessThan(version, '1.42')) out = insertAfter(out, 'SwapLimit', { KernelMemory: false, KernelMemoryTCP: false });
  // moby 28: the commits' Expected fields are omitted from API 1.49, and the non-distributable artifact lists too.
  if (lessThan(version, '1.49')) {
    for (const key of ['ContainerdCommit', 'RuncCommit', 'InitCommit']) {
      const commit = out[key] as { ID?: string } | undefined;
      if (commit) out[key] = { ...commit, Expected: commit.ID ?? '' };
    }
  } else {
    const reg = out['RegistryConfig'] as Record<string, unknown> | undefined;
    if (reg) {
      const { AllowNondistributableArtifactsCIDRs: _c, AllowNondistributableArtifactsHostnames: _h, ...rest } = reg;
      out['RegistryConfig'] = rest;
    }
  }
  return out;
}

/** GET /system/df: its images and containers shaped as in their lists; BuilderSize below API 1.42. */
export function systemDfShape(df: Record<string, unknown>, version: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...df };
  if (Array.isArray(df['Images'])) out['Images'] = (df['Images'] as ImageSummary[]).map((i) => imageSummaryShape(i, version));
  if (Array.isArray(df['Containers'])) out['Containers'] = (df['Containers'] as Array<Record<string, unknown>>).map((c) => containerSummaryShape(c, version));
  // moby 20.10 (API < 1.42) still sent the experimental BuilderSize (0) and a null BuildCache when there was none.
  if (lessThan(version, '1.42') && 'BuildCache' in df) {
    if (Array.isArray(df['BuildCache']) && (df['BuildCache'] as unknown[]).length === 0) out['BuildCache'] = null;
    out['BuilderSize'] = 0;
  }
  return out;
}
