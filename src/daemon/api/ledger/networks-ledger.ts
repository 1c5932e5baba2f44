import { ignoredAsDockerd, implemented, refused, type LedgerTable } from './ledger-types.js';
import { withPrefix } from './ledger-prefix.js';
import { endpointSettingsFields } from './container-config-ledger.js';

const NET = 'test/integration/network-user.test.ts';
const IPV6 = 'test/integration/network-ipv6.test.ts';
const FILTERS = 'test/integration/list-filters.test.ts';

export const networksLedger: LedgerTable = {
  'GET /networks': implemented(NET, "'ls'"),
  'GET /networks ?filters': implemented(FILTERS, 'driver'),
  'GET /networks/{id}': implemented(NET, "'inspect'"),
  'GET /networks/{id} ?verbose': ignoredAsDockerd('verbose adds swarm service details; a standalone dockerd answers the same without them'),
  'GET /networks/{id} ?scope': implemented('test/integration/network-ipv6.test.ts', 'scope'),
  'DELETE /networks/{id}': implemented(NET, "'rm'"),
  'POST /networks/create': implemented(NET, "'create'"),
  'POST /networks/create body Name': implemented(NET, "'create'"),
  'POST /networks/create body CheckDuplicate': refused('conflict', 'berth always refuses a duplicate network name (CheckDuplicate false is not supported)', [true]),
  'POST /networks/create body Driver': implemented(NET, "'-d'"),
  'POST /networks/create body Scope': refused('invalid_argument', 'berth networks are local: a network scope other than "local" needs a swarm', ['', 'local']),
  'POST /networks/create body Internal': implemented('test/integration/network-isolation.test.ts', '--internal'),
  'POST /networks/create body Attachable': ignoredAsDockerd('only meaningful for swarm-scoped networks; dockerd stores and reports it for local ones'),
  'POST /networks/create body Ingress': refused('unavailable', 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.'),
  'POST /networks/create body ConfigOnly': refused('invalid_argument', 'config-only networks are not supported by berth'),
  'POST /networks/create body ConfigFrom': refused('invalid_argument', 'config-only networks (ConfigFrom) are not supported by berth'),
  'POST /networks/create body IPAM': implemented(NET, '--subnet'),
  'POST /networks/create body IPAM.Driver': implemented('test/integration/build-extras.test.ts', 'Driver'),
  'POST /networks/create body IPAM.Config': implemented(NET, '--subnet'),
  'POST /networks/create body IPAM.Config[].Subnet': implemented(NET, '--subnet'),
  'POST /networks/create body IPAM.Config[].IPRange': implemented('test/integration/network-daemon-config.test.ts', 'IPRange'),
  'POST /networks/create body IPAM.Config[].Gateway': implemented(NET, '--gateway'),
  'POST /networks/create body IPAM.Config[].AuxiliaryAddresses': implemented('test/integration/network-user.test.ts', '--aux-address'),
  'POST /networks/create body IPAM.Options': implemented('test/integration/api-ledger-refusals.test.ts', 'Options'),
  'POST /networks/create body EnableIPv4': refused('invalid_argument', 'IPv6-only networks (EnableIPv4: false) are not supported by berth', [true]),
  'POST /networks/create body EnableIPv6': implemented(IPV6, '--ipv6'),
  'POST /networks/create body Options': implemented(NET, "'-o'"),
  'POST /networks/create body Labels': implemented(NET, '--label'),
  'POST /networks/{id}/connect': implemented(NET, "'connect'"),
  'POST /networks/{id}/connect body Container': implemented(NET, "'connect'"),
  'POST /networks/{id}/connect body EndpointConfig': implemented(NET, "'connect'"),
  ...withPrefix('POST /networks/{id}/connect body EndpointConfig.', endpointSettingsFields),
  'POST /networks/{id}/disconnect': implemented(NET, "'disconnect'"),
  'POST /networks/{id}/disconnect body Container': implemented(NET, "'disconnect'"),
  'POST /networks/{id}/disconnect body Force': implemented(NET, "'-f'"),
  'POST /networks/prune': implemented('test/integration/volumes-df-prune.test.ts', "'prune'"),
  'POST /networks/prune ?filters': implemented(FILTERS, 'until'),
};
