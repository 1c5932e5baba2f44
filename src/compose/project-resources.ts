import type { BerthClient } from '../client/berth-client.js';
import { isNotFound } from '../client/client-error.js';
import type { ContainerSummary } from '../client/wire-types.js';
import { LABEL } from './compose-labels.js';

/** One step of an apply, reported as docker compose v2 prints it (` Container p-web-1  Started`). */
export interface ProgressEvent {
  kind: 'Network' | 'Volume' | 'Container' | 'Image';
  name: string;
  state: string;
}
export type Progress = (event: ProgressEvent) => void;

interface WireNetwork {
  Id: string;
  Name: string;
  Labels: Record<string, string> | null;
}
interface WireVolume {
  Name: string;
  Labels: Record<string, string> | null;
}

/** The project's containers (all states), found by label as compose does; optionally one service's only. */
export function projectContainers(client: BerthClient, project: string, options: { service?: string; all?: boolean } = {}): Promise<ContainerSummary[]> {
  const label = [`${LABEL.project}=${project}`, `${LABEL.oneoff}=False`];
  if (options.service !== undefined) label.push(`${LABEL.service}=${options.service}`);
  return client.containers.list({ all: options.all ?? true, filters: { label } });
}

export function projectNetworks(client: BerthClient, project: string): Promise<WireNetwork[]> {
  return client.transport.json<WireNetwork[]>('GET', '/networks', { query: { filters: JSON.stringify({ label: [`${LABEL.project}=${project}`] }) } });
}

export async function projectVolumes(client: BerthClient, project: string): Promise<WireVolume[]> {
  const r = await client.transport.json<{ Volumes: WireVolume[] | null }>('GET', '/volumes', { query: { filters: JSON.stringify({ label: [`${LABEL.project}=${project}`] }) } });
  return r.Volumes ?? [];
}

export async function networkExists(client: BerthClient, name: string): Promise<boolean> {
  try {
    await client.transport.json('GET', `/networks/${encodeURIComponent(name)}`);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export async function volumeExists(client: BerthClient, name: string): Promise<boolean> {
  try {
    await client.transport.json('GET', `/volumes/${encodeURIComponent(name)}`);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export async function imageId(client: BerthClient, ref: string): Promise<string | undefined> {
  try {
    return (await client.images.inspect(ref)).Id;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
