import type { Db } from '../store/database.js';
import type { ContentStore } from '../content/content-store.js';
import type { Snapshotter } from '../snapshots/snapshotter.js';
import type { ContainerRuntime } from '../runtime/container-runtime.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../lib/logger.js';
import type { UsernsRemap } from './security/userns-remap.js';

/** What the engine needs to know of the daemon's configuration. */
export interface EngineSettings {
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly logDriver: string;
  readonly logOpts: Readonly<Record<string, string>>;
  readonly defaultRuntime: string;
  readonly runtimeNames: readonly string[];
  readonly initPath: string;
  readonly liveRestore: boolean;
  readonly bridge: string;
  readonly debug: boolean;
  /** daemon.json registry-mirrors, insecure-registries, max-concurrent-downloads/uploads (registry client). */
  readonly registryMirrors?: readonly string[];
  readonly insecureRegistries?: readonly string[];
  readonly maxConcurrentDownloads?: number;
  readonly maxConcurrentUploads?: number;
  /** daemon.json userns-remap, resolved; dataRoot is then the remapped root `<data-root>/<uid>.<gid>`. */
  readonly userns?: UsernsRemap;
  /** daemon.json default-ipc-mode / default-cgroupns-mode, for containers created without --ipc / --cgroupns (undefined: Docker's defaults). */
  readonly defaultIpcMode?: 'private' | 'shareable';
  readonly defaultCgroupnsMode?: 'host' | 'private';
}

/**
 * Everything an engine operation may use, built once by daemon/main.ts.
 * Operations are plain functions taking this context as first argument.
 */
export interface EngineContext {
  readonly settings: EngineSettings;
  readonly db: Db;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  /** The runtime by name ("runc", "crun"); `settings.defaultRuntime` must be present. */
  readonly runtimes: ReadonlyMap<string, ContainerRuntime>;
  readonly events: EventBus;
  readonly log: Logger;
}

/** Fixed places under the data root and exec root. */
export const enginePaths = {
  database: (s: EngineSettings): string => `${s.dataRoot}/berth.db`,
  content: (s: EngineSettings): string => `${s.dataRoot}/content`,
  snapshots: (s: EngineSettings): string => `${s.dataRoot}/snapshots`,
  containerDir: (s: EngineSettings, id: string): string => `${s.dataRoot}/containers/${id}`,
  bundleDir: (s: EngineSettings, id: string): string => `${s.execRoot}/containers/${id}`,
  exitDir: (s: EngineSettings): string => `${s.execRoot}/exits`,
  runtimeRoot: (s: EngineSettings, runtime: string): string => `${s.execRoot}/runtime-${runtime}`,
  tmp: (s: EngineSettings): string => `${s.dataRoot}/tmp`,
};
