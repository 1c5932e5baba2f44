import { implemented, refused, type LedgerTable } from './ledger-types.js';

const PLUGINS = 'test/integration/swarm-plugins.test.ts';
const managedPlugins = refused('not_implemented', 'managed plugins are not supported by berth yet');

/** Plugins: none are installed, so lists are empty and lookups are Docker's 404; installing one is refused for now. */
export const pluginsLedger: LedgerTable = {
  'GET /plugins': implemented(PLUGINS, 'plugin'),
  'GET /plugins ?filters': implemented(PLUGINS, 'plugin'),
  'GET /plugins/privileges': managedPlugins,
  'POST /plugins/pull': managedPlugins,
  'GET /plugins/{name}/json': implemented(PLUGINS, 'not found'),
  'DELETE /plugins/{name}': implemented(PLUGINS, 'not found'),
  'DELETE /plugins/{name} ?force': implemented(PLUGINS, 'not found'),
  'POST /plugins/{name}/enable': implemented(PLUGINS, 'not found'),
  'POST /plugins/{name}/enable ?timeout': implemented(PLUGINS, 'not found'),
  'POST /plugins/{name}/disable': implemented(PLUGINS, 'not found'),
  'POST /plugins/{name}/disable ?force': implemented(PLUGINS, 'not found'),
  'POST /plugins/{name}/upgrade': managedPlugins,
  'POST /plugins/create': managedPlugins,
  'POST /plugins/{name}/push': managedPlugins,
  'POST /plugins/{name}/set': managedPlugins,
};
