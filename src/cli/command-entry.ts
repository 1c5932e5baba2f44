import type { CommandSpec } from './argv/command-spec.js';

/**
 * What the CLI knows about a verb before loading it: enough to route argv and print root and group help.
 * `load()` imports only the module that defines the verb, so an invocation pays for one command's graph.
 * Contract (checked by test/unit/cli-command-index.test.ts): path, aliases and description equal the loaded spec's.
 */
export interface CommandEntry extends Pick<CommandSpec, 'path' | 'aliases' | 'description'> {
  load(): Promise<CommandSpec>;
}
