import { EngineError } from '../../errors/engine-error.js';

/**
 * A start failure dockerd raises itself while preparing the container (device
 * lookup, a bad MAC address, …): a plain 500 with dockerd's text, never wrapped
 * as an OCI runtime failure.
 */
export class StartSetupError extends EngineError {
  constructor(message: string) {
    super('internal', message);
  }
}
