/** An exec instance as Docker's ExecConfig describes it when created. */
export interface ExecConfig {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  DetachKeys: string;
  Env: string[];
  WorkingDir: string;
  Cmd: string[];
  ConsoleSize: [number, number] | null;
}

export interface ExecState {
  Running: boolean;
  /** null until the process ended. */
  ExitCode: number | null;
  Pid: number;
  /** Whether start was called (an exec runs once). */
  Started: boolean;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  state: ExecState;
}
