import { checkShape, networkCreateShape } from '../../../engine/security/api-shape.js';
import { invalidArgument } from '../../../errors/engine-error.js';
import type { EngineContext } from '../../../engine/engine-context.js';
import { getContainerById } from '../../../engine/containers/container-repo.js';
import { networkIpHolders, type NetworkRecord } from '../../../engine/network/network-repo.js';
import { createNetwork, listNetworks, pruneNetworks, removeNetwork, requireNetwork } from '../../../engine/network/user-networks.js';
import { connectNetwork, disconnectNetwork } from '../../../engine/network/user-network-connect.js';
import type { Router } from '../router.js';
import { queryFilters, readJsonBody } from '../request-context.js';
import { sendJson, sendStatus } from '../reply.js';

type Body = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const stringMap = (v: unknown, what: string): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(`invalid ${what}`);
  return Object.fromEntries(Object.entries(v as Body).map(([k, x]) => [k, String(x)]));
};

async function objectBody(req: Parameters<typeof readJsonBody>[0]): Promise<Body> {
  const body = (await readJsonBody(req)) ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('invalid JSON body');
  return body as Body;
}

export function registerNetworkRoutes(router: Router, ctx: EngineContext): void {
  router.post('/networks/create', async (rc) => {
    const body = await objectBody(rc.req);
    checkShape(body, networkCreateShape);
    const ipam = (body['IPAM'] ?? {}) as Body;
    const configs = Array.isArray(ipam['Config']) ? (ipam['Config'] as Body[]) : [];
    const n = await createNetwork(ctx, {
      name: str(body['Name']) ?? '',
      ...(str(body['Driver']) !== undefined ? { driver: str(body['Driver']) } : {}),
      internal: body['Internal'] === true,
      attachable: body['Attachable'] === true,
      enableIPv6: body['EnableIPv6'] === true,
      labels: stringMap(body['Labels'], 'Labels'),
      options: stringMap(body['Options'], 'Options'),
      ipam: configs.map((c) => ({
        subnet: str(c['Subnet']) ?? '', gateway: str(c['Gateway']) ?? '', ipRange: str(c['IPRange']) ?? '',
        auxAddresses: stringMap(c['AuxiliaryAddresses'], 'AuxiliaryAddresses'),
      })),
    });
    sendJson(rc, 201, { Id: n.id, Warning: '' });
  });

  router.get('/networks', (rc) => {
    sendJson(rc, 200, listNetworks(ctx, queryFilters(rc.query)).map((n) => networkWire(ctx, n)));
  });

  router.post('/networks/prune', async (rc) => {
    sendJson(rc, 200, await pruneNetworks(ctx, queryFilters(rc.query)));
  });

  router.get('/networks/:id', (rc) => {
    sendJson(rc, 200, networkWire(ctx, requireNetwork(ctx, rc.params['id'] ?? '')));
  });

  router.delete('/networks/:id', async (rc) => {
    await removeNetwork(ctx, rc.params['id'] ?? '');
    sendStatus(rc, 204);
  });

  router.post('/networks/:id/connect', async (rc) => {
    const body = await objectBody(rc.req);
    const ep = (body['EndpointConfig'] ?? {}) as Body;
    const ipam = (ep['IPAMConfig'] ?? {}) as Body;
    await connectNetwork(ctx, rc.params['id'] ?? '', str(body['Container']) ?? '', {
      aliases: Array.isArray(ep['Aliases']) ? (ep['Aliases'] as unknown[]).map(String) : [],
      ipv4: str(ipam['IPv4Address']) ?? '',
      ...(Array.isArray(ipam['LinkLocalIPs']) ? { linkLocalIPs: (ipam['LinkLocalIPs'] as unknown[]).map(String) } : {}),
    });
    sendStatus(rc, 200);
  });

  router.post('/networks/:id/disconnect', async (rc) => {
    const body = await objectBody(rc.req);
    await disconnectNetwork(ctx, rc.params['id'] ?? '', str(body['Container']) ?? '', { force: body['Force'] === true });
    sendStatus(rc, 200);
  });
}

/** Docker's NetworkResource. */
function networkWire(ctx: EngineContext, n: NetworkRecord): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  for (const h of networkIpHolders(ctx.db, n.id)) {
    const c = getContainerById(ctx.db, h.containerId);
    const e = c?.runtime.network?.endpoints.find((x) => x.networkId === n.id);
    if (!c || !e) continue;
    containers[c.id] = { Name: c.name, EndpointID: e.endpointId, MacAddress: e.mac, IPv4Address: `${e.ip}/${e.prefix}`, IPv6Address: e.ipv6 !== undefined ? `${e.ipv6}/${e.prefix6 ?? 64}` : '' };
  }
  const aux = n.auxAddresses ?? {};
  const ipamConfig: Array<Record<string, unknown>> = n.subnet === '' ? [] : [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange !== '' ? { IPRange: n.ipRange } : {}), ...(Object.keys(aux).length > 0 ? { AuxiliaryAddresses: aux } : {}) }];
  const ipv6 = (n.subnet6 ?? '') !== '';
  if (ipv6) ipamConfig.push({ Subnet: n.subnet6 ?? '', Gateway: n.gateway6 ?? '' });
  ipamConfig.push(...(n.unusedIpam6 ?? []));
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv4: true,
    EnableIPv6: ipv6,
    IPAM: { Driver: 'default', Options: n.name === 'bridge' || n.driver !== 'bridge' ? null : {}, Config: ipamConfig },
    Internal: n.internal,
    Attachable: n.attachable === true,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: n.options,
    Labels: n.labels,
  };
}
