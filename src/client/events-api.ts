import type { EngineClient } from './engine-client.js';
import { readJsonLines } from './json-lines.js';
import { encodeFilters, type Filters } from './containers-api.js';

/** One message of GET /events. */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/** GET /events as an async stream; ends when the daemon ends it (until) or `signal` aborts. */
export async function* streamEvents(
  client: EngineClient,
  opts: { since?: string; until?: string; filters?: Filters; signal?: AbortSignal } = {},
): AsyncGenerator<EventMessage> {
  const filters = encodeFilters(opts.filters);
  const res = await client.request('GET', '/events', {
    query: { ...(opts.since ? { since: opts.since } : {}), ...(opts.until ? { until: opts.until } : {}), ...(filters ? { filters } : {}) },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  yield* readJsonLines<EventMessage>(res);
}
