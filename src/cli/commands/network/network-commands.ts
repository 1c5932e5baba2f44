import type { CommandSpec } from '../../argv/command-spec.js';
import { networkConnectCommand } from './connect.js';
import { networkCreateCommand } from './create.js';
import { networkDisconnectCommand } from './disconnect.js';
import { networkInspectCommand } from './inspect.js';
import { networkLsCommand } from './ls.js';
import { networkPruneCommand } from './prune.js';
import { networkRmCommand } from './rm.js';

/** `berth network …` (registered in command-registry.ts). */
export const NETWORK_COMMANDS: readonly CommandSpec[] = [
  networkConnectCommand, networkCreateCommand, networkDisconnectCommand, networkInspectCommand, networkLsCommand, networkPruneCommand, networkRmCommand,
];
