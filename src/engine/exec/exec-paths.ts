import type { EngineSettings } from '../engine-context.js';

/** Where exec sessions live under the exec root; their exit files stay apart from containers' (watched) exit dir. */
export const execPaths = {
  sessionDir: (s: EngineSettings, id: string): string => `${s.execRoot}/exec/${id}`,
  exitDir: (s: EngineSettings): string => `${s.execRoot}/exec-exits`,
  /** Compiled seccomp filters of the native exec helper (one per distinct profile). */
  seccompCacheDir: (s: EngineSettings): string => `${s.execRoot}/exec-seccomp`,
};
