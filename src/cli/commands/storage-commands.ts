import type { CommandEntry } from '../command-entry.js';

/** Volumes, copying files, container filesystems, disk usage and pruning (registered in command-registry.ts). */
export const STORAGE_COMMANDS: readonly CommandEntry[] = [
  { path: ['container', 'commit'], aliases: [['commit']], description: "Create a new image from a container's changes", load: async () => (await import('./container/commit.js')).commitCommand },
  { path: ['container', 'prune'], description: 'Remove all stopped containers', load: async () => (await import('./container/prune.js')).containerPruneCommand },
  { path: ['container', 'cp'], aliases: [['cp']], description: 'Copy files/folders between a container and the local filesystem', load: async () => (await import('./container/cp.js')).cpCommand },
  { path: ['image', 'prune'], description: 'Remove unused images', load: async () => (await import('./image/prune.js')).imagePruneCommand },
  { path: ['system', 'df'], description: 'Show docker disk usage', load: async () => (await import('./system/df.js')).systemDfCommand },
  { path: ['system', 'prune'], description: 'Remove unused data', load: async () => (await import('./system/prune.js')).systemPruneCommand },
  { path: ['container', 'diff'], aliases: [['diff']], description: "Inspect changes to files or directories on a container's filesystem", load: async () => (await import('./container/diff.js')).diffCommand },
  { path: ['container', 'export'], aliases: [['export']], description: "Export a container's filesystem as a tar archive", load: async () => (await import('./container/export.js')).exportCommand },
  { path: ['volume', 'create'], description: 'Create a volume', load: async () => (await import('./volume/create.js')).volumeCreateCommand },
  { path: ['volume', 'inspect'], description: 'Display detailed information on one or more volumes', load: async () => (await import('./volume/inspect.js')).volumeInspectCommand },
  { path: ['volume', 'ls'], aliases: [['volume', 'list']], description: 'List volumes', load: async () => (await import('./volume/ls.js')).volumeLsCommand },
  { path: ['volume', 'prune'], description: 'Remove unused local volumes', load: async () => (await import('./volume/prune.js')).volumePruneCommand },
  { path: ['volume', 'rm'], aliases: [['volume', 'remove']], description: 'Remove one or more volumes', load: async () => (await import('./volume/rm.js')).volumeRmCommand },
];
