import type { Duplex } from 'node:stream';

export interface RuntimeCreateOptions {
  readonly id: string;
  readonly name: string;
  /** Holds config.json (the OCI spec); rootfs is whatever the spec's root.path says. */
  readonly bundleDir: string;
  /** k8s-file log written by conmon, unless conmonLog says otherwise. */
  readonly logPath: string;
  /** conmon's `-l` value as the log driver's capture chose it (`k8s-file:<fifo>`, `none:`); default `k8s-file:<logPath>`. */
  readonly conmonLog?: string;
  /** Directory where conmon writes `<id>` with the exit code. */
  readonly exitDir: string;
  readonly terminal: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
}

export interface RuntimeState {
  readonly status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  readonly pid: number;
}

/** One conmon attach connection (SOCK_SEQPACKET): output frames in, stdin out. */
export interface AttachConnection {
  /** Calls back for each packet of output; 'stdout' or 'stderr'. */
  onData(listener: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  /** Called once when conmon closes the socket (the container's output ended). */
  onEnd(listener: () => void): void;
  writeStdin(data: Buffer): void;
  /** Half-closes: conmon then closes the container's stdin; output keeps flowing. */
  closeStdin(): void;
  /** Closes the connection; conmon then closes the container's stdin if it was the last one and stdinOnce. */
  close(): void;
}

export interface RuntimeExecOptions {
  readonly containerId: string;
  readonly execId: string;
  /** Private directory of this exec session: process.json, conmon's attach socket, ctl fifo, pid and log files. */
  readonly sessionDir: string;
  /** Directory where conmon writes `<execId>` with the exit code. */
  readonly exitDir: string;
  /** The OCI `process` object for `runtime exec --process`. */
  readonly process: Readonly<Record<string, unknown>>;
  readonly terminal: boolean;
  readonly openStdin: boolean;
  /** Runs once the attach socket is connected and before the process starts (e.g. to size the TTY). */
  readonly beforeStart?: (conn: AttachConnection) => Promise<void>;
  /** The container's init pid and its spec's `linux` section: lets the runtime enter it without `runtime exec`. */
  readonly container?: { readonly pid: number; readonly linux: Readonly<Record<string, unknown>> };
  /** A private directory where such a runtime may keep compiled seccomp filters. */
  readonly seccompCacheDir?: string;
}

/** A started exec process: its attach connection and its exit. */
export interface ExecProcess {
  readonly pid: number;
  readonly conn: AttachConnection;
  /** Resolves with the process's exit code (126/127 style codes for a failed exec). */
  readonly exited: Promise<number>;
}

/**
 * Thin, stateless wrapper over an OCI runtime (runc or crun) driven through
 * conmon. Plain data in, plain data out; policy lives in the engine.
 * Lifecycle: create (conmon + `runtime create`, returns the container pid) →
 * start → [kill] → exit file appears → delete.
 */
export interface ContainerRuntime {
  readonly name: string; // "runc" | "crun" | …
  create(opts: RuntimeCreateOptions): Promise<{ pid: number; conmonPid: number }>;
  start(id: string): Promise<void>;
  kill(id: string, signal: number): Promise<void>;
  /** Removes the runtime's record; `force` kills first. Missing container is not an error. */
  delete(id: string, opts?: { force?: boolean }): Promise<void>;
  state(id: string): Promise<RuntimeState | undefined>;
  /** Whether the runtime keeps a record of `id` (a directory under its root); cheap, no subprocess. */
  hasRecord(id: string): Promise<boolean>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Connects to `<bundleDir>/attach`. */
  attach(bundleDir: string): Promise<AttachConnection>;
  /** Changes a live container's cgroup limits (`runtime update --resources`); `resources` is OCI linux.resources. */
  update(id: string, resources: Readonly<Record<string, unknown>>): Promise<void>;
  /** Runs an extra process in a running container under its own conmon (`conmon --exec`). */
  exec(opts: RuntimeExecOptions): Promise<ExecProcess>;
  /** Resizes a TTY via conmon's ctl fifo (a container's bundle or an exec session dir). */
  resize(bundleDir: string, rows: number, cols: number): Promise<void>;
}

export type { Duplex };
