import { invalidArgument } from '../../errors/engine-error.js';
import { allContainers, findContainer } from './container-repo.js';
import type { ContainerRecord } from './container-model.js';
import type { ContainerSupervisor } from './supervisor.js';
import { findImage } from '../images/resolve.js';

export interface ListContainersOptions {
  readonly all?: boolean;
  readonly limit?: number;
  readonly filters?: ReadonlyMap<string, readonly string[]>;
}

const knownFilters = new Set([
  'ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume',
]);
const statuses = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

/** GET /containers/json: newest first, Docker's filter semantics (OR within a key, AND across keys). */
export async function listContainers(sup: ContainerSupervisor, opts: ListContainersOptions = {}): Promise<ContainerRecord[]> {
  const filters = opts.filters ?? new Map<string, readonly string[]>();
  for (const key of filters.keys()) if (!knownFilters.has(key)) throw invalidArgument(`Invalid filter '${key}'`);
  for (const s of filters.get('status') ?? []) {
    if (!statuses.has(s)) throw invalidArgument(`Invalid filter 'status=${s}'`);
  }
  const all = allContainers(sup.ctx.db);
  const before = (filters.get('before') ?? []).map((ref) => requireForFilter(sup, ref));
  const since = (filters.get('since') ?? []).map((ref) => requireForFilter(sup, ref));
  const ancestors = await Promise.all(
    (filters.get('ancestor') ?? []).map(async (ref) => Promise.resolve(findImage(sup.ctx, ref)?.id)),
  );
  const showAll = opts.all === true || filters.has('status') || filters.has('exited') || before.length > 0 || since.length > 0;
  const out: ContainerRecord[] = [];
  for (const c of all) {
    if (!showAll && !c.state.Running) continue;
    if (!matches(c, filters, ancestors)) continue;
    if (before.some((b) => c.created >= b.created)) continue;
    if (since.some((s) => c.created <= s.created)) continue;
    out.push(c);
  }
  const limit = opts.limit ?? -1;
  return limit > 0 ? out.slice(0, limit) : out;
}

function requireForFilter(sup: ContainerSupervisor, ref: string): ContainerRecord {
  const c = findContainer(sup.ctx.db, ref);
  if (!c) throw invalidArgument(`No such container: ${ref}`);
  return c;
}

function matches(c: ContainerRecord, filters: ReadonlyMap<string, readonly string[]>, ancestorIds: (string | undefined)[]): boolean {
  const any = (key: string, pred: (v: string) => boolean): boolean => {
    const values = filters.get(key);
    return values === undefined || values.length === 0 || values.some(pred);
  };
  return (
    any('id', (v) => c.id.startsWith(v)) &&
    any('name', (v) => nameMatches(c.name, v)) &&
    any('status', (v) => c.state.Status === v) &&
    any('exited', (v) => !c.state.Running && c.state.Status === 'exited' && String(c.state.ExitCode) === v) &&
    // dockerd: every label filter must match (AND); other keys match any of their values.
    (filters.get('label') ?? []).every((v) => labelMatches(c.config.Labels, v)) &&
    any('ancestor', (v) => c.imageRef === v || c.imageId.startsWith(v) || c.imageId === `sha256:${v}` || ancestorIds.includes(c.imageId)) &&
    any('is-task', (v) => v === 'false') &&
    any('isolation', (v) => v === 'default' || v === '') &&
    any('network', (v) => containerNetworks(c).has(v)) &&
    any('health', (v) => v === 'none')
  );
}

/**
 * Names and ids of the networks the container is on, as dockerd's network
 * filter sees NetworkSettings.Networks: the live endpoints while it runs, else
 * its NetworkMode network (unless disconnected from it) and the ones it was connected to.
 */
function containerNetworks(c: ContainerRecord): Set<string> {
  const out = new Set<string>();
  if (c.state.Running && c.runtime.network) {
    for (const e of c.runtime.network.endpoints) {
      out.add(e.networkName);
      out.add(e.networkId);
    }
    return out;
  }
  const mode = c.hostConfig.NetworkMode === 'default' ? 'bridge' : c.hostConfig.NetworkMode;
  if (!c.runtime.modeNetworkLeft && !mode.startsWith('container:')) out.add(mode);
  for (const [id, e] of Object.entries(c.runtime.endpointConfigs ?? {})) {
    out.add(e.networkName);
    out.add(id);
  }
  return out;
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const eq = filter.indexOf('=');
  if (eq < 0) return Object.hasOwn(labels, filter);
  const key = filter.slice(0, eq);
  return Object.hasOwn(labels, key) && labels[key] === filter.slice(eq + 1);
}

/** Docker matches `name` filters as a regular expression against "/name". */
function nameMatches(name: string, pattern: string): boolean {
  try {
    return new RegExp(pattern).test(`/${name}`);
  } catch {
    return `/${name}`.includes(pattern);
  }
}
