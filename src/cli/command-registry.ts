import type { CommandEntry } from './command-entry.js';
import { STORAGE_COMMANDS } from './commands/storage-commands.js';
import { NETWORK_COMMANDS } from './commands/network/network-commands.js';

/**
 * Every verb, in registration order (resolveCommand keeps the first of equally long matches). Entries load their
 * module on demand; test/unit/cli-command-index.test.ts keeps their fields equal to the specs and the list complete.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { path: ['container', 'create'], aliases: [['create']], description: 'Create a new container', load: async () => (await import('./commands/container/create.js')).createCommand },
  { path: ['container', 'attach'], aliases: [['attach']], description: 'Attach local standard input, output, and error streams to a running container', load: async () => (await import('./commands/container/attach.js')).attachCommand },
  { path: ['container', 'exec'], aliases: [['exec']], description: 'Execute a command in a running container', load: async () => (await import('./commands/container/exec.js')).execCommand },
  { path: ['container', 'update'], aliases: [['update']], description: 'Update configuration of one or more containers', load: async () => (await import('./commands/container/update.js')).updateCommand },
  { path: ['container', 'stats'], aliases: [['stats']], description: 'Display a live stream of container(s) resource usage statistics', load: async () => (await import('./commands/container/stats.js')).statsCommand },
  { path: ['container', 'top'], aliases: [['top']], description: 'Display the running processes of a container', load: async () => (await import('./commands/container/top.js')).topCommand },
  { path: ['system', 'events'], aliases: [['events']], description: 'Get real time events from the server', load: async () => (await import('./commands/system/events.js')).eventsCommand },
  { path: ['container', 'inspect'], description: 'Display detailed information on one or more containers', load: async () => (await import('./commands/container/inspect.js')).containerInspectCommand },
  { path: ['container', 'kill'], aliases: [['kill']], description: 'Kill one or more running containers', load: async () => (await import('./commands/container/kill.js')).killCommand },
  { path: ['container', 'logs'], aliases: [['logs']], description: 'Fetch the logs of a container', load: async () => (await import('./commands/container/logs.js')).logsCommand },
  { path: ['container', 'ls'], aliases: [['container', 'list'], ['container', 'ps'], ['ps']], description: 'List containers', load: async () => (await import('./commands/container/ls.js')).lsCommand },
  { path: ['container', 'pause'], aliases: [['pause']], description: 'Pause all processes within one or more containers', load: async () => (await import('./commands/container/pause.js')).pauseCommand },
  { path: ['container', 'port'], aliases: [['port']], description: 'List port mappings or a specific mapping for the container', load: async () => (await import('./commands/container/port.js')).portCommand },
  { path: ['container', 'rename'], aliases: [['rename']], description: 'Rename a container', load: async () => (await import('./commands/container/rename.js')).renameCommand },
  { path: ['container', 'restart'], aliases: [['restart']], description: 'Restart one or more containers', load: async () => (await import('./commands/container/restart.js')).restartCommand },
  { path: ['container', 'rm'], aliases: [['container', 'remove'], ['rm']], description: 'Remove one or more containers', load: async () => (await import('./commands/container/rm.js')).rmCommand },
  { path: ['container', 'run'], aliases: [['run']], description: 'Create and run a new container from an image', load: async () => (await import('./commands/container/run.js')).runCommand },
  { path: ['container', 'start'], aliases: [['start']], description: 'Start one or more stopped containers', load: async () => (await import('./commands/container/start.js')).startCommand },
  { path: ['container', 'stop'], aliases: [['stop']], description: 'Stop one or more running containers', load: async () => (await import('./commands/container/stop.js')).stopCommand },
  { path: ['container', 'unpause'], aliases: [['unpause']], description: 'Unpause all processes within one or more containers', load: async () => (await import('./commands/container/unpause.js')).unpauseCommand },
  { path: ['container', 'wait'], aliases: [['wait']], description: 'Block until one or more containers stop, then print their exit codes', load: async () => (await import('./commands/container/wait.js')).waitCommand },
  { path: ['image', 'history'], aliases: [['history']], description: 'Show the history of an image', load: async () => (await import('./commands/image/history.js')).historyCommand },
  { path: ['image', 'import'], aliases: [['import']], description: 'Import the contents from a tarball to create a filesystem image', load: async () => (await import('./commands/image/import.js')).importCommand },
  { path: ['image', 'inspect'], description: 'Display detailed information on one or more images', load: async () => (await import('./commands/image/inspect.js')).imageInspectCommand },
  { path: ['image', 'load'], aliases: [['load']], description: 'Load an image from a tar archive or STDIN', load: async () => (await import('./commands/image/load.js')).loadCommand },
  { path: ['image', 'ls'], aliases: [['image', 'list'], ['images']], description: 'List images', load: async () => (await import('./commands/image/ls.js')).imageLsCommand },
  { path: ['image', 'pull'], aliases: [['pull']], description: 'Download an image from a registry', load: async () => (await import('./commands/image/pull.js')).pullCommand },
  { path: ['image', 'rm'], aliases: [['image', 'remove'], ['rmi']], description: 'Remove one or more images', load: async () => (await import('./commands/image/rm.js')).imageRmCommand },
  { path: ['image', 'save'], aliases: [['save']], description: 'Save one or more images to a tar archive (streamed to STDOUT by default)', load: async () => (await import('./commands/image/save.js')).saveCommand },
  { path: ['image', 'tag'], aliases: [['tag']], description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: async () => (await import('./commands/image/tag.js')).tagCommand },
  { path: ['system', 'info'], aliases: [['info']], description: 'Display system-wide information', load: async () => (await import('./commands/system/info.js')).infoCommand },
  { path: ['inspect'], description: 'Return low-level information on Docker objects', load: async () => (await import('./commands/system/inspect.js')).inspectCommand },
  { path: ['version'], description: 'Show the Docker version information', load: async () => (await import('./commands/system/version.js')).versionCommand },
  { path: ['image', 'build'], aliases: [['build'], ['builder', 'build']], description: 'Build an image from a Dockerfile', load: async () => (await import('./commands/build/build.js')).buildCommand },
  { path: ['builder', 'prune'], description: 'Remove build cache', load: async () => (await import('./commands/build/prune.js')).builderPruneCommand },
  { path: ['registry', 'serve'], description: 'Serve an OCI distribution registry', load: async () => (await import('./commands/registry/serve.js')).registryServeCommand },
  { path: ['registry', 'gc'], aliases: [['registry', 'garbage-collect']], description: 'Remove blobs no manifest references (run while the registry is stopped)', load: async () => (await import('./commands/registry/gc.js')).registryGcCommand },
  { path: ['login'], description: 'Authenticate to a registry', load: async () => (await import('./commands/login/login.js')).loginCommand },
  { path: ['logout'], description: 'Log out from a registry', load: async () => (await import('./commands/logout/logout.js')).logoutCommand },
  { path: ['image', 'push'], aliases: [['push']], description: 'Upload an image to a registry', load: async () => (await import('./commands/push/push.js')).pushCommand },
  { path: ['search'], description: 'Search Docker Hub for images', load: async () => (await import('./commands/search/search.js')).searchCommand },
  { path: ['compose'], description: 'Define and run multi-container applications', load: async () => (await import('./commands/compose/compose.js')).composeCommand },
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
export function resolveCommand(words: readonly string[]): { entry: CommandEntry; invoked: string[] } | undefined {
  let best: { entry: CommandEntry; invoked: string[] } | undefined;
  for (const entry of COMMANDS) {
    for (const path of [entry.path, ...(entry.aliases ?? [])]) {
      if (path.every((w, i) => words[i] === w) && (!best || path.length > best.invoked.length)) best = { entry, invoked: [...path] };
    }
  }
  return best;
}
