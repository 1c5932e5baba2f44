import { ContainersApi } from './containers-api.js';
import { EngineClient, type EngineClientOptions } from './engine-client.js';
import { ImagesApi } from './images-api.js';
import { SystemApi } from './system-api.js';

/** The typed Engine API client: one transport, one facade per object. */
export class BerthClient {
  readonly transport: EngineClient;
  readonly containers: ContainersApi;
  readonly images: ImagesApi;
  readonly system: SystemApi;

  constructor(options: EngineClientOptions) {
    this.transport = new EngineClient(options);
    this.containers = new ContainersApi(this.transport);
    this.images = new ImagesApi(this.transport);
    this.system = new SystemApi(this.transport);
  }
}
