import { notFound } from '../../../errors/engine-error.js';
import type { Router } from '../router.js';
import { queryFilters } from '../request-context.js';
import { sendJson } from '../reply.js';

/**
 * Managed plugins: none can be installed yet (the field ledger refuses
 * pull/create/upgrade), so the list is empty and every lookup is dockerd's
 * 404 for a plugin that does not exist.
 */
export function registerPluginRoutes(router: Router): void {
  router.get('/plugins', (rc) => {
    queryFilters(rc.query);
    sendJson(rc, 200, []);
  });
  const missing = (name: string | undefined): never => {
    throw notFound(`plugin "${name ?? ''}" not found`);
  };
  router.get('/plugins/*name/json', (rc) => missing(rc.params['name']));
  router.delete('/plugins/*name', (rc) => missing(rc.params['name']));
  router.post('/plugins/*name/enable', (rc) => missing(rc.params['name']));
  router.post('/plugins/*name/disable', (rc) => missing(rc.params['name']));
}
