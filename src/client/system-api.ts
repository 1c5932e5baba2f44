import type { EngineClient } from './engine-client.js';
import type { SystemInfo, SystemVersion } from './wire-types.js';

/** Typed calls for /info and /version. */
export class SystemApi {
  constructor(private readonly client: EngineClient) {}

  info(): Promise<SystemInfo> {
    return this.client.json('GET', '/info');
  }

  version(): Promise<SystemVersion> {
    return this.client.json('GET', '/version');
  }
}
