import { EngineError, invalidArgument } from '../../errors/engine-error.js';
import { RegistryClient, type RegistryCredentials } from '../../registry/client/registry-client.js';
import { endpointFor } from '../../registry/client/registry-endpoint.js';
import { RegistryError } from '../../registry/client/registry-error.js';
import type { EngineContext } from '../engine-context.js';

/** `https://index.docker.io/v1/`, `localhost:5000`, `http://x:5000/` → the registry's domain. */
export function registryDomain(serverAddress: string): string {
  const trimmed = serverAddress.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (trimmed === '' || trimmed === 'index.docker.io' || trimmed === 'registry-1.docker.io') return 'docker.io';
  return trimmed;
}

/**
 * POST /auth: checks credentials against the registry's /v2/ (answering its
 * Basic or Bearer challenge). Docker's wording on failure.
 */
export async function checkRegistryLogin(ctx: EngineContext, serverAddress: string, credentials: RegistryCredentials): Promise<{ identityToken?: string }> {
  if (credentials.username === undefined && credentials.identityToken === undefined) throw invalidArgument('Username is required');
  const domain = registryDomain(serverAddress);
  const client = new RegistryClient(endpointFor(domain, { insecureRegistries: ctx.settings.insecureRegistries ?? [] }), credentials);
  let res: Response;
  try {
    res = await client.request('GET', '/v2/');
  } catch (err) {
    if (err instanceof RegistryError && err.status === 401) throw new EngineError('forbidden', 'login attempt to ' + client.baseUrl + '/v2/ failed with status: 401 Unauthorized');
    throw new EngineError('internal', (err as Error).message);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status === 401) throw new EngineError('forbidden', `login attempt to ${client.baseUrl}/v2/ failed with status: 401 Unauthorized`);
  if (!res.ok) throw new EngineError('internal', `login attempt to ${client.baseUrl}/v2/ failed with status: ${res.status} ${res.statusText}`);
  return {};
}
