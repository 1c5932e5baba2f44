import type { Readable, Writable } from 'node:stream';
import { BerthClient } from '../client/berth-client.js';

export interface OutputStream extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface InputStream extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** What a command may touch: its streams, environment and a lazily built Engine API client. */
export class CliContext {
  private cached: BerthClient | undefined;

  constructor(
    readonly prog: string,
    readonly stdout: OutputStream,
    readonly stderr: OutputStream,
    readonly stdin: InputStream,
    readonly env: NodeJS.ProcessEnv,
    private readonly makeClient: () => BerthClient,
  ) {}

  client(): BerthClient {
    this.cached ??= this.makeClient();
    return this.cached;
  }

  out(text: string): void {
    this.stdout.write(text);
  }

  err(text: string): void {
    this.stderr.write(text);
  }
}
