// The options of one classic-builder build, as the engine hands them to DockerfileBuilder.
import type { ContentHashes } from './build-context.js';

export interface DockerfileBuildOptions {
  readonly dockerfile: string;
  readonly contextDir: string;
  /** Where ADD <url> downloads go while their step runs (removed after it); default: next to the context. */
  readonly scratchDir?: string;
  /** File hashes taken while unpacking the context (by absolute path). */
  readonly contextHashes?: ContentHashes;
  /** `--build-arg`; null means "declared without a value". */
  readonly buildArgs: Readonly<Record<string, string | null>>;
  readonly target?: string;
  readonly noCache: boolean;
  /** `--pull`: fetch base images from their registry even when present locally. */
  readonly pull?: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly networkMode?: string;
  readonly extraHosts: readonly string[];
  readonly architecture: string;
  readonly os: string;
  /** Aborted when the client went away: the build stops at the next step, a running RUN is killed. */
  readonly signal?: AbortSignal;
  /** Progress text, Docker's classic-builder lines. */
  readonly stream: (text: string) => void;
  /** Docker's `rm` (default true): remove a step's container after it succeeded. */
  readonly rm?: boolean;
  /** Docker's `forcerm`: remove a step's container even when it failed. */
  readonly forceRm?: boolean;
}
