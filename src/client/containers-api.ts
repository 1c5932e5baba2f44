import type { IncomingMessage } from 'node:http';
import type { EngineClient, HijackedConnection } from './engine-client.js';
import type {
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ContainerWaitResponse,
} from './wire-types.js';

export type Filters = Record<string, string[]>;

export function encodeFilters(filters: Filters | undefined): string | undefined {
  if (!filters || Object.keys(filters).length === 0) return undefined;
  return JSON.stringify(filters);
}

const enc = encodeURIComponent;

export interface ListContainersOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Filters;
}

export interface LogsOptions {
  follow?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  since?: string;
  until?: string;
  timestamps?: boolean;
  tail?: string;
  details?: boolean;
  signal?: AbortSignal;
}

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  logs?: boolean;
  detachKeys?: string;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** Typed calls under /containers. */
export class ContainersApi {
  constructor(private readonly client: EngineClient) {}

  list(options: ListContainersOptions = {}): Promise<ContainerSummary[]> {
    return this.client.json('GET', '/containers/json', {
      query: {
        all: options.all || undefined,
        limit: options.limit !== undefined && options.limit > 0 ? options.limit : undefined,
        size: options.size || undefined,
        filters: encodeFilters(options.filters),
      },
    });
  }

  create(config: ContainerCreateRequest, options: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.client.json('POST', '/containers/create', {
      query: { name: options.name || undefined, platform: options.platform || undefined },
      json: config,
    });
  }

  inspect(id: string, options: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.client.json('GET', `/containers/${enc(id)}/json`, { query: { size: options.size || undefined } });
  }

  /** The raw inspect document, key order preserved as the daemon sent it. */
  inspectRaw(id: string, options: { size?: boolean } = {}): Promise<unknown> {
    return this.client.json('GET', `/containers/${enc(id)}/json`, { query: { size: options.size || undefined } });
  }

  start(id: string, options: { detachKeys?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/start`, { query: { detachKeys: options.detachKeys } });
  }

  stop(id: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/stop`, { query: { t: options.timeout, signal: options.signal } });
  }

  restart(id: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/restart`, { query: { t: options.timeout, signal: options.signal } });
  }

  kill(id: string, options: { signal?: string } = {}): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/kill`, { query: { signal: options.signal } });
  }

  remove(id: string, options: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    return this.client.call('DELETE', `/containers/${enc(id)}`, {
      query: { force: options.force || undefined, v: options.volumes || undefined, link: options.link || undefined },
    });
  }

  rename(id: string, name: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/rename`, { query: { name } });
  }

  pause(id: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/pause`);
  }

  unpause(id: string): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/unpause`);
  }

  /** Resolves with the wait response once the condition holds; the request is sent immediately. */
  wait(id: string, options: { condition?: WaitCondition; signal?: AbortSignal } = {}): Promise<ContainerWaitResponse> {
    return this.client.json('POST', `/containers/${enc(id)}/wait`, {
      query: { condition: options.condition },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** The log stream: multiplexed frames unless the container has a TTY. */
  logs(id: string, options: LogsOptions = {}): Promise<IncomingMessage> {
    return this.client.request('GET', `/containers/${enc(id)}/logs`, {
      query: {
        follow: options.follow || undefined,
        stdout: options.stdout ?? true,
        stderr: options.stderr ?? true,
        since: options.since,
        until: options.until,
        timestamps: options.timestamps || undefined,
        tail: options.tail,
        details: options.details || undefined,
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  attach(id: string, options: AttachOptions): Promise<HijackedConnection> {
    return this.client.hijack('POST', `/containers/${enc(id)}/attach`, {
      query: {
        stream: true,
        stdin: options.stdin || undefined,
        stdout: options.stdout || undefined,
        stderr: options.stderr || undefined,
        logs: options.logs || undefined,
        detachKeys: options.detachKeys,
      },
    });
  }

  resize(id: string, size: { height: number; width: number }): Promise<void> {
    return this.client.call('POST', `/containers/${enc(id)}/resize`, { query: { h: size.height, w: size.width } });
  }
}
