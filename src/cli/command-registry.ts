import type { CommandSpec } from './argv/command-spec.js';
import { createCommand } from './commands/container/create.js';
import { attachCommand } from './commands/container/attach.js';
import { execCommand } from './commands/container/exec.js';
import { updateCommand } from './commands/container/update.js';
import { statsCommand } from './commands/container/stats.js';
import { topCommand } from './commands/container/top.js';
import { eventsCommand } from './commands/system/events.js';
import { containerInspectCommand } from './commands/container/inspect.js';
import { killCommand } from './commands/container/kill.js';
import { logsCommand } from './commands/container/logs.js';
import { lsCommand } from './commands/container/ls.js';
import { pauseCommand } from './commands/container/pause.js';
import { renameCommand } from './commands/container/rename.js';
import { portCommand } from './commands/container/port.js';
import { restartCommand } from './commands/container/restart.js';
import { rmCommand } from './commands/container/rm.js';
import { runCommand } from './commands/container/run.js';
import { startCommand } from './commands/container/start.js';
import { stopCommand } from './commands/container/stop.js';
import { unpauseCommand } from './commands/container/unpause.js';
import { waitCommand } from './commands/container/wait.js';
import { buildCommand } from './commands/build/build.js';
import { builderPruneCommand } from './commands/build/prune.js';
import { historyCommand } from './commands/image/history.js';
import { importCommand } from './commands/image/import.js';
import { imageInspectCommand } from './commands/image/inspect.js';
import { loadCommand } from './commands/image/load.js';
import { imageLsCommand } from './commands/image/ls.js';
import { pullCommand } from './commands/image/pull.js';
import { imageRmCommand } from './commands/image/rm.js';
import { saveCommand } from './commands/image/save.js';
import { tagCommand } from './commands/image/tag.js';
import { registryServeCommand } from './commands/registry/serve.js';
import { registryGcCommand } from './commands/registry/gc.js';
import { loginCommand } from './commands/login/login.js';
import { logoutCommand } from './commands/logout/logout.js';
import { pushCommand } from './commands/push/push.js';
import { searchCommand } from './commands/search/search.js';
import { infoCommand } from './commands/system/info.js';
import { inspectCommand } from './commands/system/inspect.js';
import { versionCommand } from './commands/system/version.js';
import { STORAGE_COMMANDS } from './commands/storage-commands.js';
import { NETWORK_COMMANDS } from './commands/network/network-commands.js';

export const COMMANDS: readonly CommandSpec[] = [
  createCommand, attachCommand, execCommand, updateCommand, statsCommand, topCommand, eventsCommand, containerInspectCommand, killCommand, logsCommand, lsCommand, pauseCommand, portCommand, renameCommand,
  restartCommand, rmCommand, runCommand, startCommand, stopCommand, unpauseCommand, waitCommand,
  historyCommand, importCommand, imageInspectCommand, loadCommand, imageLsCommand, pullCommand, imageRmCommand,
  saveCommand, tagCommand, infoCommand, inspectCommand, versionCommand, buildCommand, builderPruneCommand,
  registryServeCommand, registryGcCommand, loginCommand, logoutCommand, pushCommand, searchCommand,
  ...STORAGE_COMMANDS,
  ...NETWORK_COMMANDS,
];

/** Management commands that group verbs (`berth container …`). */
export const GROUPS: Record<string, string> = {
  builder: 'Manage builds',
  container: 'Manage containers',
  image: 'Manage images',
  network: 'Manage networks',
  registry: 'Run a registry server',
  system: 'Manage Docker',
  volume: 'Manage volumes',
};

/** Finds the verb named by the leading argv words; returns the words it consumed. */
export function resolveCommand(words: readonly string[]): { spec: CommandSpec; invoked: string[] } | undefined {
  let best: { spec: CommandSpec; invoked: string[] } | undefined;
  for (const spec of COMMANDS) {
    for (const path of [spec.path, ...(spec.aliases ?? [])]) {
      if (path.every((w, i) => words[i] === w) && (!best || path.length > best.invoked.length)) best = { spec, invoked: [...path] };
    }
  }
  return best;
}
