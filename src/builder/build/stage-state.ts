// The state of the stage being built, which every instruction handler reads and advances, and the views of it they share.
import type { ImageConfig, ImageRunConfig } from '../../images/image-config.js';
import type { BuildImage } from './build-backend.js';
import { envToMap } from './run-config.js';

const DEFAULT_SHELL = ['/bin/sh', '-c'];

export interface StageState {
  image: BuildImage;
  config: ImageConfig;
  run: ImageRunConfig;
  /** ARGs in scope with their values (undefined: declared without one). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

/** The variables instructions expand with: ARGs in scope, overridden by ENV. */
export function stageEnv(state: StageState): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of state.args) if (v !== undefined) m.set(k, v);
  for (const [k, v] of envToMap(state.run.Env)) m.set(k, v);
  return m;
}

export function stageShell(state: StageState): string[] {
  return state.run.Shell && state.run.Shell.length > 0 ? [...state.run.Shell] : DEFAULT_SHELL;
}

/** Build args in scope that ENV does not override, `K=V`, sorted (Docker's FilterAllowed + prependEnvOnCmd). */
export function argEnv(state: StageState): string[] {
  const env = envToMap(state.run.Env);
  const out: string[] = [];
  for (const [k, v] of state.args) if (v !== undefined && !env.has(k)) out.push(`${k}=${v}`);
  return out.sort();
}
