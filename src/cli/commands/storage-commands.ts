import type { CommandSpec } from '../argv/command-spec.js';
import { commitCommand } from './container/commit.js';
import { cpCommand } from './container/cp.js';
import { diffCommand } from './container/diff.js';
import { exportCommand } from './container/export.js';
import { containerPruneCommand } from './container/prune.js';
import { imagePruneCommand } from './image/prune.js';
import { systemDfCommand } from './system/df.js';
import { systemPruneCommand } from './system/prune.js';
import { volumeCreateCommand } from './volume/create.js';
import { volumeInspectCommand } from './volume/inspect.js';
import { volumeLsCommand } from './volume/ls.js';
import { volumePruneCommand } from './volume/prune.js';
import { volumeRmCommand } from './volume/rm.js';

/** Volumes, copying files, container filesystems, disk usage and pruning (registered in command-registry.ts). */
export const STORAGE_COMMANDS: readonly CommandSpec[] = [
  commitCommand, containerPruneCommand, cpCommand, imagePruneCommand, systemDfCommand, systemPruneCommand, diffCommand, exportCommand, volumeCreateCommand, volumeInspectCommand, volumeLsCommand, volumePruneCommand, volumeRmCommand,
];
