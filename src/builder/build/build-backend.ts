import type { ImageConfig } from '../../images/image-config.js';

/** An image the build starts from or produced; `id` is '' for an uncommitted `scratch`. */
export interface BuildImage {
  readonly id: string;
  readonly config: ImageConfig;
}

export interface RunStepRequest {
  readonly image: BuildImage;
  readonly cmd: readonly string[];
  readonly env: readonly string[];
  readonly user: string;
  readonly workingDir: string;
  readonly networkMode?: string;
  readonly extraHosts: readonly string[];
  /** Aborted when the client went away: the step's container is killed. */
  readonly signal?: AbortSignal;
  /**
   * Which step containers outlive the step (Docker's `rm`/`forcerm`): 'none',
   * 'failed' (default `rm`: a non-zero exit keeps its container for inspection)
   * or 'all' (`--rm=false`). An aborted or broken step never keeps one.
   */
  readonly keep?: 'none' | 'failed' | 'all';
  /** Called once the container exists (Docker prints " ---> Running in <id>"). */
  onContainer(id: string): void;
  output(data: Buffer): void;
}

/**
 * What the Dockerfile builder needs from the engine. Lifecycle contract: every
 * method either succeeds or leaves nothing behind — no container, mount or
 * temp directory — whether it throws or the step's command fails; the one
 * exception is a stopped step container that `RunStepRequest.keep` asks for.
 */
export interface BuildBackend {
  /** A local image by reference or id, undefined when absent. */
  findImage(ref: string): BuildImage | undefined;
  /** Pulls an image from its registry; progress as text lines. Throws with the registry's message. */
  pullImage(ref: string, opts: { platform?: string; signal?: AbortSignal; progress: (line: string) => void }): Promise<BuildImage>;
  /** Runs a command in a throw-away container; on exit 0, its filesystem changes become a layer (diff id). */
  runStep(req: RunStepRequest): Promise<{ exitCode: number; diffId?: string; containerId: string }>;
  /** Mounts a writable rootfs over the image, lets `fn` change it, and returns the changes as a layer (diff id). */
  modifyRootfs(image: BuildImage, fn: (root: string) => Promise<void>): Promise<string>;
  /** A read-only view of an image's filesystem for the duration of `fn`. */
  withImageRootfs<T>(image: BuildImage, fn: (root: string) => Promise<T>): Promise<T>;
  /** Resolves `--chown` (`user[:group]`) against the rootfs's passwd and group files. */
  resolveOwner(root: string, spec: string): Promise<{ uid: number; gid: number }>;
  /** Stores an image config whose layers are all in the content store. */
  commit(config: ImageConfig): Promise<BuildImage>;
  /** The image a step produced before from the same parent and cache key, if it still exists. */
  cacheGet(parentId: string, key: string): BuildImage | undefined;
  cachePut(parentId: string, key: string, imageId: string): void;
}
