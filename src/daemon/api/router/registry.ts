import { invalidArgument } from '../../../errors/engine-error.js';
import { imageOperations } from '../../../engine/concurrency/limit.js';
import type { EngineContext } from '../../../engine/engine-context.js';
import { pullAllTags, pullImage, wantsAllTags } from '../../../engine/images/pull.js';
import { pushImage } from '../../../engine/images/push.js';
import { checkRegistryLogin } from '../../../engine/images/registry-login.js';
import { searchImages } from '../../../engine/images/search.js';
import type { ProgressMessage } from '../../../registry/client/progress-message.js';
import type { RegistryCredentials } from '../../../registry/client/registry-client.js';
import { messageOf } from '../http-status.js';
import { commonHeaders, sendJson } from '../reply.js';
import type { Router } from '../router.js';
import { queryInt, readJsonBody, type RequestContext } from '../request-context.js';

interface AuthConfigWire {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

function credentialsOf(wire: AuthConfigWire | undefined): RegistryCredentials {
  if (!wire) return {};
  let { username, password } = wire;
  if (username === undefined && wire.auth) {
    const decoded = Buffer.from(wire.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    username = decoded.slice(0, i < 0 ? undefined : i);
    password = i < 0 ? '' : decoded.slice(i + 1);
  }
  return {
    ...(username ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(wire.identitytoken ? { identityToken: wire.identitytoken } : {}),
    ...(wire.registrytoken ? { registryToken: wire.registrytoken } : {}),
  };
}

/** X-Registry-Auth: base64url (or base64) JSON AuthConfig; an undecodable header counts as none, as in Docker. */
export function registryAuthOf(rc: RequestContext): RegistryCredentials {
  const header = rc.req.headers['x-registry-auth'];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  try {
    return credentialsOf(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as AuthConfigWire);
  } catch {
    return {};
  }
}

/**
 * X-Registry-Config (POST /build): base64url JSON map of registry → AuthConfig,
 * the credentials for the base images the build pulls. Undecodable counts as
 * none, as in moby's build router.
 */
export function registryConfigOf(rc: RequestContext): Record<string, RegistryCredentials> {
  const header = rc.req.headers['x-registry-config'];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return {};
  try {
    const map = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, AuthConfigWire> | null;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) return {};
    return Object.fromEntries(Object.entries(map).map(([server, wire]) => [server, credentialsOf(wire)]));
  } catch {
    return {};
  }
}

/**
 * A JSON progress stream whose headers go out with the first message: an
 * error before that is answered with its status (Docker's write-flusher).
 */
class LazyProgressStream {
  private started = false;
  constructor(private readonly rc: RequestContext) {}

  write = (msg: ProgressMessage): void => {
    const res = this.rc.res;
    if (!res || res.destroyed) return;
    if (!this.started) {
      this.started = true;
      res.writeHead(200, { ...commonHeaders(), 'Content-Type': 'application/json' });
    }
    res.write(JSON.stringify(msg) + '\n');
  };

  async run(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (!this.started) throw err;
      const message = messageOf(err);
      this.rc.res?.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    }
    this.rc.res?.end();
  }
}

/** POST /images/create?fromImage=… (the pull branch of images.ts). */
export async function pullFromRegistry(rc: RequestContext, ctx: EngineContext, fromImage: string): Promise<void> {
  rc.req.resume();
  const stream = new LazyProgressStream(rc);
  const tag = rc.query.get('tag') ?? undefined;
  const platform = rc.query.get('platform') ?? undefined;
  const pull = wantsAllTags(fromImage, tag) ? pullAllTags : pullImage;
  // pulls take a slot of the daemon's limit for expensive image operations, so a flood of them queues
  await stream.run(() =>
    imageOperations.run<unknown>(
      () =>
        pull(ctx, fromImage, {
          ...(tag ? { tag } : {}),
          ...(platform ? { platform } : {}),
          credentials: registryAuthOf(rc),
          progress: stream.write,
          signal: rc.signal,
        }),
      rc.signal,
    ),
  );
}

export function registerRegistryRoutes(router: Router, ctx: EngineContext): void {
  router.post('/images/*name/push', async (rc) => {
    rc.req.resume();
    const stream = new LazyProgressStream(rc);
    const tag = rc.query.get('tag') ?? undefined;
    await stream.run(() =>
      imageOperations.run(() => pushImage(ctx, rc.params.name ?? '', { ...(tag ? { tag } : {}), credentials: registryAuthOf(rc), progress: stream.write, signal: rc.signal }), rc.signal),
    );
  });

  router.post('/auth', async (rc) => {
    const body = (await readJsonBody(rc.req)) as AuthConfigWire | undefined;
    if (!body) throw invalidArgument('missing auth config');
    const result = await checkRegistryLogin(ctx, body.serveraddress ?? '', credentialsOf(body));
    sendJson(rc, 200, { Status: 'Login Succeeded', IdentityToken: result.identityToken ?? '' });
  });

  router.get('/images/search', async (rc) => {
    const term = rc.query.get('term') ?? '';
    const limit = queryInt(rc.query, 'limit');
    const filters = rc.query.get('filters');
    const results = await searchImages(ctx, term, {
      ...(limit !== undefined ? { limit } : {}),
      filters: filters ? (JSON.parse(filters) as Record<string, Record<string, boolean> | string[]>) : {},
      credentials: registryAuthOf(rc),
      signal: rc.signal,
    });
    sendJson(rc, 200, results);
  });
}

