import type { EngineClient, HijackedConnection } from './engine-client.js';

const enc = encodeURIComponent;

export interface ExecCreateRequest {
  User?: string;
  Privileged?: boolean;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Env?: string[];
  WorkingDir?: string;
  Cmd: string[];
}

export interface ExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  ProcessConfig: { entrypoint: string; arguments: string[]; tty: boolean; privileged: boolean; user?: string };
}

/** Exec instances: create on a container, start (hijacked or detached), inspect, resize. */
export class ExecApi {
  constructor(private readonly client: EngineClient) {}

  create(containerId: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    return this.client.json('POST', `/containers/${enc(containerId)}/exec`, { json: req });
  }

  /** Attached start: the connection carries output (and stdin). */
  startAttached(id: string, opts: { tty: boolean; consoleSize?: [number, number] }): Promise<HijackedConnection> {
    return this.client.hijack('POST', `/exec/${enc(id)}/start`, { json: { Detach: false, Tty: opts.tty, ...(opts.consoleSize ? { ConsoleSize: opts.consoleSize } : {}) } });
  }

  startDetached(id: string): Promise<void> {
    return this.client.call('POST', `/exec/${enc(id)}/start`, { json: { Detach: true, Tty: false } });
  }

  inspect(id: string): Promise<ExecInspect> {
    return this.client.json('GET', `/exec/${enc(id)}/json`);
  }

  resize(id: string, size: { height: number; width: number }): Promise<void> {
    return this.client.call('POST', `/exec/${enc(id)}/resize`, { query: { h: size.height, w: size.width } });
  }
}
