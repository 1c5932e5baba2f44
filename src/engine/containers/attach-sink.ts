/**
 * One client attached to a container: where output goes and where stdin comes
 * from. The daemon builds it from a hijacked connection; the supervisor wires
 * it to conmon's attach socket whenever the container (re)starts.
 */
export interface AttachSink {
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** Called with stdin bytes' writer once conmon is connected, if the client wants stdin. */
  readonly wantsStdin: boolean;
  write(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** Output is over (the container exited or never started). */
  end(): void;
  /** Gives the sink a way to feed the container's stdin and to close it. */
  connectStdin?(write: (data: Buffer) => void, close: () => void): void;
  /** True once the client went away; the supervisor then forgets it. */
  readonly closed: boolean;
}
