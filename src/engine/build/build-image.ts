import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { BuildError, applyDockerIgnore, readDockerIgnore, resolveScoped } from '../../builder/build/build-context.js';
import { type ContentHashes, ContextEntryError, extractContext } from '../../builder/build/context-reader.js';
import { DockerfileBuilder } from '../../builder/build/dockerfile-builder.js';
import type { DockerfilePlan } from '../../builder/dockerfile/instructions.js';
import { DockerfileParseError } from '../../builder/dockerfile/parse-dockerfile.js';
import { EngineError, internal, invalidArgument } from '../../errors/engine-error.js';
import { hostArchitecture } from '../../images/image-config.js';
import { type ImageReference, familiarString } from '../../images/reference.js';
import type { ContainerSupervisor } from '../containers/supervisor.js';
import { enginePaths } from '../engine-context.js';
import { applyTag, tagReference } from '../images/tag.js';
import { EngineBuildBackend } from './engine-build-backend.js';
import type { RegistryCredentials } from '../../registry/client/registry-client.js';

export interface BuildImageOptions {
  /** Path of the Dockerfile inside the context; default "Dockerfile". */
  readonly dockerfile?: string;
  readonly tags: readonly string[];
  readonly buildArgs: Readonly<Record<string, string | null>>;
  readonly target?: string;
  readonly noCache: boolean;
  readonly pull?: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly networkMode?: string;
  readonly extraHosts: readonly string[];
  /** `os[/arch[/variant]]`; only linux builds. */
  readonly platform?: string;
  /** Remove step containers after success (Docker's default true). */
  readonly rm?: boolean;
  /** Remove step containers even after a failure. */
  readonly forceRm?: boolean;
  /** Limits of the RUN step containers (zero: unset). */
  readonly stepResources?: StepResources;
  /** X-Registry-Config: credentials per registry for the base images a build pulls. */
  readonly registryCredentials?: Readonly<Record<string, RegistryCredentials>>;
}

/** `docker build --memory/--memory-swap/--cpu-shares/--cpuset-cpus/--cpu-period/--cpu-quota/--shm-size`: HostConfig fields of each RUN step container. */
export interface StepResources {
  readonly Memory: number;
  readonly MemorySwap: number;
  readonly CpuShares: number;
  readonly CpusetCpus: string;
  readonly CpuPeriod: number;
  readonly CpuQuota: number;
  readonly ShmSize: number;
}

/** One message of Docker's build JSON stream. */
export type BuildMessage = { readonly stream: string } | { readonly aux: { readonly ID: string } };

/** A build whose context is unpacked and Dockerfile parsed; `run` builds, `dispose` removes the context. */
export interface PreparedBuild {
  run(emit: (msg: BuildMessage) => void, signal?: AbortSignal): Promise<string>;
  dispose(): Promise<void>;
}

/** Failure of a running build: the message Docker streams and the exit code the CLI uses. */
export class BuildFailure extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * POST /build, first half: validates tags and platform, unpacks the context
 * (rejecting absolute and `..` paths), applies .dockerignore, reads and parses
 * the Dockerfile. Errors here happen before any output (Docker answers them
 * with an HTTP error). The caller must `dispose()` what this returns.
 */
export async function prepareBuild(sup: ContainerSupervisor, context: Readable, opts: BuildImageOptions): Promise<PreparedBuild> {
  const ctx = sup.ctx;
  let refs: ImageReference[];
  try {
    refs = opts.tags.map((t) => tagReference(t));
  } catch (err) {
    context.destroy();
    throw err;
  }
  const [os = 'linux', arch] = (opts.platform ?? '').split('/').map((s) => (s === '' ? undefined : s));
  if (os !== 'linux') {
    context.destroy();
    throw invalidArgument(`"${opts.platform ?? ''}": unknown operating system or architecture: operating system is not supported`);
  }
  const dir = join(enginePaths.tmp(ctx.settings), `build-ctx-${randomBytes(8).toString('hex')}`);
  const contextDir = join(dir, 'context');
  await mkdir(contextDir, { recursive: true, mode: 0o700 });
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  let plan: DockerfilePlan;
  let contextHashes: ContentHashes;
  try {
    try {
      contextHashes = await extractContext(context, contextDir);
    } catch (err) {
      context.destroy();
      if (err instanceof ContextEntryError) throw invalidArgument(err.message);
      throw invalidArgument(`failed to read the build context: ${(err as Error).message}`);
    }
    const dockerfileName = posix.normalize(opts.dockerfile && opts.dockerfile !== '' ? opts.dockerfile : 'Dockerfile').replace(/^\/+/, '');
    const dockerfilePath = await resolveScoped(contextDir, dockerfileName);
    const st = await lstat(dockerfilePath).catch(() => undefined);
    // dockerd 20.10 answers a missing Dockerfile with a plain (500) error.
    if (!st?.isFile()) throw internal(`Cannot locate specified Dockerfile: ${opts.dockerfile || 'Dockerfile'}`);
    const text = await readFile(dockerfilePath, 'utf8');
    await applyDockerIgnore(contextDir, await readDockerIgnore(contextDir), [dockerfileName, '.dockerignore']);
    try {
      plan = DockerfileBuilder.plan(text);
    } catch (err) {
      if (err instanceof DockerfileParseError) throw invalidArgument(err.message);
      throw err;
    }
  } catch (err) {
    await dispose();
    throw err;
  }

  return {
    dispose,
    async run(emit, signal): Promise<string> {
      const stream = (text: string): void => {
        if (text !== '') emit({ stream: text });
      };
      const builder = new DockerfileBuilder(new EngineBuildBackend(sup, opts.registryCredentials ?? {}, opts.stepResources), {
        dockerfile: '',
        contextDir,
        scratchDir: join(dir, 'scratch'),
        contextHashes,
        buildArgs: opts.buildArgs,
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        noCache: opts.noCache,
        ...(opts.pull ? { pull: true } : {}),
        labels: opts.labels,
        ...(opts.networkMode !== undefined ? { networkMode: opts.networkMode } : {}),
        extraHosts: opts.extraHosts,
        ...(opts.rm !== undefined ? { rm: opts.rm } : {}),
        ...(opts.forceRm !== undefined ? { forceRm: opts.forceRm } : {}),
        ...(signal ? { signal } : {}),
        architecture: arch ?? hostArchitecture(),
        os,
        stream,
      });
      let id: string;
      try {
        id = await builder.build(plan);
      } catch (err) {
        if (err instanceof BuildError) throw new BuildFailure(err.message, err.code);
        if (err instanceof EngineError || err instanceof Error) throw new BuildFailure(err.message, 0);
        throw err;
      }
      emit({ aux: { ID: id } });
      stream(`Successfully built ${id.replace(/^sha256:/, '').slice(0, 12)}\n`);
      for (const ref of refs) {
        applyTag(ctx, id, ref);
        stream(`Successfully tagged ${familiarString(ref)}\n`);
      }
      return id;
    },
  };
}
