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
  return out;
}

const BUILTIN_NETWORK_MODES = new Set(['bridge', 'host', 'none', 'default']);

/** GET /containers/{id}/json. */
export function containerInspectShape(wire: Record<string, unknown>, version: string): Record<string, unknown> {
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
