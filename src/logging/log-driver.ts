import type { LogContainerInfo } from './log-attrs.js';

/**
 * A log driver: how one container's output is kept, and whether `logs` can
 * read it back.
 *
 * Lifecycle, per container start: the engine checks the LogConfig's keys at
 * create (validateLogOptionKeys), then at each start calls startCapture()
 * before the runtime spawns conmon, giving conmon `capture.conmonLog` as its
 * `-l` argument. If the runtime fails before conmon took the log, the engine
 * calls capture.abort(). The capture then lives with conmon, not with the
 * daemon: it ends by itself when the container's output ends, and
 * captureDone() tells when everything the container wrote is in the log.
 * `logs` reads through files() (undefined: the driver cannot be read, and
 * `logs` answers dockerd's 501).
 */
export interface LogDriver {
  readonly name: string;
  /**
   * Resolves the option values as dockerd's driver New() does (throws
   * "failed to initialize logging driver: …") and starts the writer.
   */
  startCapture(target: CaptureTarget, config: Readonly<Record<string, string>>): Promise<LogCapture>;
  /** The log files of a container, or undefined when this driver keeps none to read. */
  files(containerDir: string, id: string, config: Readonly<Record<string, string>>): LogFiles | undefined;
}

export interface CaptureTarget {
  readonly id: string;
  readonly containerDir: string;
  /** Private runtime directory (tmpfs) for the fifo and the writer's pidfile. */
  readonly runDir: string;
  readonly info: LogContainerInfo;
}

export interface LogCapture {
  /** conmon's `-l` value. */
  readonly conmonLog: string;
  /** Stops a writer whose conmon never started. */
  abort(): Promise<void>;
}

/** Where a file driver keeps a container's log: `path`, rotated as `path.1`, `path.2.gz` … */
export interface LogFiles {
  readonly path: string;
}
