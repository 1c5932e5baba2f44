import type { CommandEntry } from '../../command-entry.js';

/** `berth network …` (registered in command-registry.ts). */
export const NETWORK_COMMANDS: readonly CommandEntry[] = [
  { path: ['network', 'connect'], description: 'Connect a container to a network', load: async () => (await import('./connect.js')).networkConnectCommand },
  { path: ['network', 'create'], description: 'Create a network', load: async () => (await import('./create.js')).networkCreateCommand },
  { path: ['network', 'disconnect'], description: 'Disconnect a container from a network', load: async () => (await import('./disconnect.js')).networkDisconnectCommand },
  { path: ['network', 'inspect'], description: 'Display detailed information on one or more networks', load: async () => (await import('./inspect.js')).networkInspectCommand },
  { path: ['network', 'ls'], aliases: [['network', 'list']], description: 'List networks', load: async () => (await import('./ls.js')).networkLsCommand },
  { path: ['network', 'prune'], description: 'Remove all unused networks', load: async () => (await import('./prune.js')).networkPruneCommand },
  { path: ['network', 'rm'], aliases: [['network', 'remove']], description: 'Remove one or more networks', load: async () => (await import('./rm.js')).networkRmCommand },
];
