import { implemented, refused, type LedgerTable } from './ledger-types.js';

const VOL = 'test/integration/volumes-mounts.test.ts';
const DF = 'test/integration/volumes-df-prune.test.ts';
const FILTERS = 'test/integration/list-filters.test.ts';
const cluster = refused('unavailable', 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');

export const volumesLedger: LedgerTable = {
  'GET /volumes': implemented(VOL, "'ls'"),
  'GET /volumes ?filters': implemented(FILTERS, 'dangling'),
  'POST /volumes/create': implemented(VOL, "'create'"),
  'POST /volumes/create body Name': implemented(VOL, "'create'"),
  'POST /volumes/create body Driver': implemented(VOL, 'local'),
  'POST /volumes/create body DriverOpts': implemented(VOL, "'-o'"),
  'POST /volumes/create body Labels': implemented(VOL, '--label'),
  // Cluster volumes (API 1.42) need a swarm manager, as in dockerd.
  'POST /volumes/create body ClusterVolumeSpec': cluster,
  'GET /volumes/{name}': implemented(VOL, "'inspect'"),
  'PUT /volumes/{name}': cluster,
  'DELETE /volumes/{name}': implemented(VOL, "'rm'"),
  'DELETE /volumes/{name} ?force': implemented(VOL, "'-f'"),
  'POST /volumes/prune': implemented(DF, "'prune'"),
  'POST /volumes/prune ?filters': implemented('test/integration/build-cache-images.test.ts', '--all'),
};
