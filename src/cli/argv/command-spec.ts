import type { CliContext } from '../cli-context.js';
import type { FlagSpec, FlagValues } from './flag-parser.js';

/** Positional-argument rule, checked before the command runs (cobra's Args validators). */
export type ArgsRule =
  | { kind: 'none' }
  | { kind: 'exact'; count: number }
  | { kind: 'min'; count: number }
  | { kind: 'max'; count: number }
  | { kind: 'range'; min: number; max: number };

/**
 * One CLI verb: its docker-compatible surface (usage, aliases, flags, args rule) and a `run` that turns
 * parsed flags into the verb's typed options and calls the operation. Returns the process exit code.
 */
export interface CommandSpec {
  /** Path under the root, e.g. ['container', 'ls']. */
  path: string[];
  /** Other full paths for the same verb, e.g. [['ps'], ['container', 'list']]. */
  aliases?: string[][];
  usage: string;
  description: string;
  flags: FlagSpec[];
  args: ArgsRule;
  /** Stop flag parsing at the first positional (run, create, exec). */
  stopAtFirstArg?: boolean;
  run(ctx: CliContext, flags: FlagValues, args: string[]): Promise<number>;
}
