import { refused, type LedgerTable } from './ledger-types.js';

/** dockerd's answer on a node that is not in a swarm (503). */
export const notSwarmManager = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
const standalone = refused('unavailable', notSwarmManager);

/**
 * Swarm endpoints: Berth is always a standalone node, so each answers as a
 * standalone dockerd does (503, Docker's message); an operation that is
 * refused covers its parameters and body fields.
 */
export const swarmLedger: LedgerTable = {
  'GET /swarm': standalone,
  'POST /swarm/init': refused('unavailable', 'berth runs standalone: it cannot create or join a swarm'),
  'POST /swarm/join': refused('unavailable', 'berth runs standalone: it cannot create or join a swarm'),
  'POST /swarm/leave': refused('unavailable', 'This node is not part of a swarm'),
  'POST /swarm/update': standalone,
  'GET /swarm/unlockkey': standalone,
  'POST /swarm/unlock': standalone,
  'GET /nodes': standalone,
  'GET /nodes/{id}': standalone,
  'DELETE /nodes/{id}': standalone,
  'POST /nodes/{id}/update': standalone,
  'GET /services': standalone,
  'POST /services/create': standalone,
  'GET /services/{id}': standalone,
  'DELETE /services/{id}': standalone,
  'POST /services/{id}/update': standalone,
  'GET /services/{id}/logs': standalone,
  'GET /tasks': standalone,
  'GET /tasks/{id}': standalone,
  'GET /tasks/{id}/logs': standalone,
  'GET /secrets': standalone,
  'POST /secrets/create': standalone,
  'GET /secrets/{id}': standalone,
  'DELETE /secrets/{id}': standalone,
  'POST /secrets/{id}/update': standalone,
  'GET /configs': standalone,
  'POST /configs/create': standalone,
  'GET /configs/{id}': standalone,
  'DELETE /configs/{id}': standalone,
  'POST /configs/{id}/update': standalone,
};
