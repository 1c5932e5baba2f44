import type { BerthClient } from '../client/berth-client.js';
import { readBody } from '../client/engine-client.js';
import { ComposeError } from './compose-error.js';
import { LABEL, configHash, containerLabels, containerName } from './compose-labels.js';
import { containerRequest, serviceImage } from './container-request.js';
import type { ComposeProject, DependencyCondition } from './project-model.js';
import { imageId, networkExists, projectContainers, volumeExists, type Progress } from './project-resources.js';
import { serviceOrder } from './service-order.js';
import { planService } from './service-plan.js';

/** Builds a service's image and tags it `tag`; supplied by the CLI (it owns context packing and build output). */
export type ImageBuilder = (service: string, build: { context: string; dockerfile?: string }, tag: string) => Promise<void>;

export interface UpOptions {
  progress: Progress;
  buildImage?: ImageBuilder;
}

/**
 * `up -d`: networks and volumes first, then each service in dependency order. A service whose container carries the
 * config hash of its current definition is kept (started if stopped); otherwise its container is replaced.
 */
export async function projectUp(client: BerthClient, project: ComposeProject, options: UpOptions): Promise<void> {
  const { progress } = options;
  for (const [key, net] of Object.entries(project.networks)) {
    if (await networkExists(client, net.name)) continue;
    await client.transport.json('POST', '/networks/create', {
      json: {
        Name: net.name,
        CheckDuplicate: true,
        Driver: net.driver ?? 'bridge',
        Labels: { ...net.labels, [LABEL.project]: project.name, [LABEL.network]: key },
      },
    });
    progress({ kind: 'Network', name: net.name, state: 'Created' });
  }
  for (const [key, vol] of Object.entries(project.volumes)) {
    if (await volumeExists(client, vol.name)) continue;
    await client.transport.json('POST', '/volumes/create', {
      json: { Name: vol.name, Driver: vol.driver ?? 'local', Labels: { ...vol.labels, [LABEL.project]: project.name, [LABEL.volume]: key } },
    });
    progress({ kind: 'Volume', name: vol.name, state: 'Created' });
  }
  for (const name of serviceOrder(project)) await upService(client, project, name, options);
}

async function ensureImage(client: BerthClient, project: ComposeProject, name: string, options: UpOptions): Promise<string> {
  const s = project.services[name];
  if (!s) throw new ComposeError(`no such service: ${name}`);
  const ref = serviceImage(project, name, s);
  const found = await imageId(client, ref);
  if (found !== undefined) return found;
  if (s.build) {
    if (!options.buildImage) throw new ComposeError(`service "${name}" needs a build, which this client cannot run`);
    await options.buildImage(name, s.build, ref);
    options.progress({ kind: 'Image', name: ref, state: 'Built' });
  } else {
    options.progress({ kind: 'Image', name: ref, state: 'Pulling' });
    const [repo, tag] = splitRef(ref);
    const res = await client.images.pull(repo, tag);
    const text = (await readBody(res)).toString('utf8');
    const failure = text.split('\n').map((l) => (l.trim() ? (JSON.parse(l) as { error?: string }) : {})).find((m) => m.error !== undefined);
    if (failure?.error !== undefined) throw new ComposeError(`service "${name}": pull ${ref}: ${failure.error}`);
    options.progress({ kind: 'Image', name: ref, state: 'Pulled' });
  }
  const id = await imageId(client, ref);
  if (id === undefined) throw new ComposeError(`service "${name}": image ${ref} not found after ${s.build ? 'build' : 'pull'}`);
  return id;
}

function splitRef(ref: string): [string, string | undefined] {
  const at = ref.indexOf('@');
  if (at >= 0) return [ref.slice(0, at), ref.slice(at + 1)];
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

async function upService(client: BerthClient, project: ComposeProject, name: string, options: UpOptions): Promise<void> {
  const s = project.services[name];
  if (!s) return;
  for (const [dep, condition] of Object.entries(s.depends_on_conditions ?? {})) await waitForDependency(client, project, dep, condition, options);
  const cname = s.container_name ?? containerName(project.name, name);
  const hash = configHash(s);
  const image = await ensureImage(client, project, name, options);
  const plan = planService(await projectContainers(client, project.name, { service: name }), { hash, imageId: image });
  if (plan.remove.length > 0) progress(options, cname, 'Recreate');
  for (const id of plan.remove) await client.containers.remove(id, { force: true });
  if (plan.action === 'keep') {
    progress(options, cname, 'Running');
    return;
  }
  if (plan.action === 'start') {
    await client.containers.start(plan.id);
    progress(options, cname, 'Started');
    return;
  }
  progress(options, cname, 'Creating');
  const created = await client.containers.create(containerRequest(project, name, s, containerLabels(project, name, hash, image)), { name: cname });
  try {
    for (const [key, att] of Object.entries(s.networks).slice(1)) {
      const net = project.networks[key];
      if (!net) continue;
      await client.transport.call('POST', `/networks/${encodeURIComponent(net.name)}/connect`, {
        json: { Container: created.Id, EndpointConfig: { Aliases: [name, ...att.aliases] } },
      });
    }
    progress(options, cname, 'Created');
    await client.containers.start(created.Id);
  } catch (err) {
    // Nothing half-made stays behind for this service: the container that could not be wired or started goes.
    await client.containers.remove(created.Id, { force: true }).catch(() => undefined);
    throw err;
  }
  progress(options, cname, 'Started');
}

function progress(options: UpOptions, name: string, state: string): void {
  options.progress({ kind: 'Container', name, state });
}

const POLL_MS = 200;

/**
 * depends_on conditions, as compose v2 waits for them: service_healthy until the dependency's health is "healthy"
 * (unhealthy, or no health check, is an error); service_completed_successfully until it exited, with code 0.
 */
async function waitForDependency(client: BerthClient, project: ComposeProject, dep: string, condition: DependencyCondition, options: UpOptions): Promise<void> {
  if (condition === 'service_started') return;
  const [c] = await projectContainers(client, project.name, { service: dep });
  if (!c) throw new ComposeError(`service "${dep}" has no container to wait for`);
  const label = (c.Names[0] ?? dep).replace(/^\//, '');
  options.progress({ kind: 'Container', name: label, state: 'Waiting' });
  for (;;) {
    const state = (await client.containers.inspect(c.Id)).State;
    if (condition === 'service_healthy') {
      if (!state.Health) throw new ComposeError(`container ${label} has no healthcheck configured`);
      if (state.Health.Status === 'healthy') break;
      if (state.Health.Status === 'unhealthy') throw new ComposeError(`dependency failed to start: container ${label} is unhealthy`);
      if (!state.Running) throw new ComposeError(`dependency failed to start: container ${label} exited (${state.ExitCode})`);
    } else if (!state.Running && state.Status !== 'created') {
      if (state.ExitCode !== 0) throw new ComposeError(`service "${dep}" didn't complete successfully: exit ${state.ExitCode}`);
      break;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  options.progress({ kind: 'Container', name: label, state: condition === 'service_healthy' ? 'Healthy' : 'Exited' });
}
