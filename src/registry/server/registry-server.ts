import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { DistributionError } from './distribution-error.js';
import { isDigest, isRepositoryName, isTag, type RegistryStorage } from './registry-storage.js';
import type { RegistryAuthenticator } from './registry-auth.js';
import { searchRepositories } from './search-index.js';
import { guardRequestBody } from '../../lib/request-body-guard.js';

const MAX_MANIFEST = 4 * 1024 * 1024;
const MANIFEST_TYPES = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
]);
const INDEX_TYPES = new Set(['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.oci.image.index.v1+json']);

export interface RegistryServerOptions {
  readonly storage: RegistryStorage;
  readonly auth?: RegistryAuthenticator;
  /** One line per request (access log). */
  readonly log?: (line: string) => void;
  /** Serve HTTPS with this PEM certificate (chain) and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

interface Route {
  name: string;
  kind: 'blob' | 'upload' | 'manifest' | 'tags' | 'referrers';
  ref: string;
}

const ROUTE_RE = /^\/v2\/(.+?)\/(?:blobs\/uploads\/([^/]*)|blobs\/([^/]+)|manifests\/([^/]+)|(tags)\/list|referrers\/([^/]+))$/;

/** An HTTP server speaking the OCI distribution API (plus Docker's /v1/search) over `storage`. */
export function createRegistryServer(options: RegistryServerOptions): Server {
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    guardRequestBody(req, res);
    res.on('finish', () => {
      options.log?.(JSON.stringify({ time: new Date().toISOString(), remote: req.socket.remoteAddress, method: req.method, uri: req.url, status: res.statusCode, ms: Date.now() - started }) + '\n');
    });
    handle(options, req, res).catch((err: unknown) => {
      const e = err instanceof DistributionError ? err : undefined;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      for (const [k, v] of Object.entries(e?.headers ?? {})) res.setHeader(k, v);
      const body = e ? e.body() : JSON.stringify({ errors: [{ code: 'UNKNOWN', message: (err as Error).message, detail: null }] }) + '\n';
      res.writeHead(e?.status ?? 500, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Docker-Distribution-API-Version': 'registry/2.0' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };
  return options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
}

export async function listen(server: Server, addr: string): Promise<AddressInfo> {
  const i = addr.lastIndexOf(':');
  const host = i > 0 ? addr.slice(0, i).replace(/^\[|\]$/g, '') : '0.0.0.0';
  const port = Number(i >= 0 ? addr.slice(i + 1) : addr);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server.address() as AddressInfo;
}

async function handle(o: RegistryServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://registry');
  const method = req.method ?? 'GET';
  res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
  if (url.pathname === '/token' && o.auth?.issueToken) {
    return json(res, 200, await o.auth.issueToken(req, url.searchParams));
  }
  if (url.pathname === '/v2/' || url.pathname === '/v2') {
    await o.auth?.authorize(req, undefined);
    return json(res, 200, {});
  }
  if (url.pathname === '/v2/_catalog') {
    await o.auth?.authorize(req, { type: 'registry', name: 'catalog', actions: ['*'] });
    const all = await o.storage.repositories();
    const page = paginate(all, url);
    if (page.next) res.setHeader('Link', `</v2/_catalog?last=${encodeURIComponent(page.next)}&n=${page.n}>; rel="next"`);
    return json(res, 200, { repositories: page.items });
  }
  if (url.pathname === '/v1/search') {
    await o.auth?.authorize(req, undefined);
    return json(res, 200, await searchRepositories(o.storage, url.searchParams));
  }
  const m = ROUTE_RE.exec(url.pathname);
  if (!m) throw new DistributionError('UNSUPPORTED', undefined, 'not found');
  const route: Route =
    m[6] !== undefined ? { name: m[1] ?? '', kind: 'referrers', ref: m[6] } : m[2] !== undefined ? { name: m[1] ?? '', kind: 'upload', ref: m[2] } : m[3] !== undefined ? { name: m[1] ?? '', kind: 'blob', ref: m[3] } : m[4] !== undefined ? { name: m[1] ?? '', kind: 'manifest', ref: m[4] } : { name: m[1] ?? '', kind: 'tags', ref: '' };
  if (!isRepositoryName(route.name)) throw new DistributionError('NAME_INVALID', { name: route.name });
  const writes = method !== 'GET' && method !== 'HEAD';
  await o.auth?.authorize(req, { type: 'repository', name: route.name, actions: writes ? (method === 'DELETE' ? ['delete'] : ['pull', 'push']) : ['pull'] });
  switch (route.kind) {
    case 'blob':
      return blob(o.storage, route, method, req, res);
    case 'upload':
      return upload(o.storage, route, method, req, res, url);
    case 'manifest':
      return manifest(o.storage, route, method, req, res);
    case 'referrers':
      return referrers(o.storage, route, method, req, res, url);
    case 'tags': {
      if (method !== 'GET') throw new DistributionError('UNSUPPORTED');
      if (!(await o.storage.repositoryExists(route.name))) throw new DistributionError('NAME_UNKNOWN', { name: route.name });
      const page = paginate(await o.storage.tags(route.name), url);
      if (page.next) res.setHeader('Link', `</v2/${route.name}/tags/list?last=${encodeURIComponent(page.next)}&n=${page.n}>; rel="next"`);
      return json(res, 200, { name: route.name, tags: page.items });
    }
  }
}

async function blob(storage: RegistryStorage, r: Route, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isDigest(r.ref)) throw new DistributionError('DIGEST_INVALID', { digest: r.ref }, 'invalid digest');
  req.resume();
  if (method === 'DELETE') {
    if (!(await storage.unlinkBlob(r.name, r.ref))) throw new DistributionError('BLOB_UNKNOWN', { digest: r.ref });
    res.writeHead(202, { 'Content-Length': 0 });
    return void res.end();
  }
  if (method !== 'GET' && method !== 'HEAD') throw new DistributionError('UNSUPPORTED');
  const size = await storage.blobSize(r.name, r.ref);
  if (size === undefined) throw new DistributionError('BLOB_UNKNOWN', { digest: r.ref });
  const headers = { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': r.ref, ETag: `"${r.ref}"`, 'Accept-Ranges': 'bytes' };
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range && method === 'GET') {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end) throw new DistributionError('RANGE_INVALID');
    res.writeHead(206, { ...headers, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` });
    return pipeline(storage.readBlob(r.ref, { start, end }), res);
  }
  res.writeHead(200, { ...headers, 'Content-Length': size });
  if (method === 'HEAD') return void res.end();
  await pipeline(storage.readBlob(r.ref), res);
}

async function upload(storage: RegistryStorage, r: Route, method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const q = url.searchParams;
  const location = (uuid: string): string => `/v2/${r.name}/blobs/uploads/${uuid}`;
  const accepted = (uuid: string, size: number): void => {
    res.writeHead(202, { Location: location(uuid), Range: `0-${Math.max(size - 1, 0)}`, 'Docker-Upload-UUID': uuid, 'Content-Length': 0 });
    res.end();
  };
  const created = (digest: string): void => {
    res.writeHead(201, { Location: `/v2/${r.name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 });
    res.end();
  };
  if (method === 'POST' && r.ref === '') {
    const mount = q.get('mount');
    const from = q.get('from');
    if (mount && from && isDigest(mount) && isRepositoryName(from)) {
      if (await storage.mountBlob(r.name, from, mount)) {
        req.resume();
        return created(mount);
      }
    }
    const uuid = await storage.startUpload();
    const digest = q.get('digest');
    if (digest !== null) {
      if (!isDigest(digest)) throw new DistributionError('DIGEST_INVALID', { digest });
      await storage.appendUpload(uuid, req);
      await storage.finishUpload(r.name, uuid, digest);
      return created(digest);
    }
    req.resume();
    return accepted(uuid, 0);
  }
  const uuid = r.ref;
  if (method === 'GET') {
    req.resume();
    res.writeHead(204, { Location: location(uuid), Range: `0-${Math.max(storage.uploadSize(uuid) - 1, 0)}`, 'Docker-Upload-UUID': uuid, 'Content-Length': 0 });
    return void res.end();
  }
  if (method === 'PATCH') {
    const cr = /^(?:bytes )?(\d+)-(\d+)$/.exec(req.headers['content-range'] ?? '');
    const size = await storage.appendUpload(uuid, req, cr ? Number(cr[1]) : undefined);
    return accepted(uuid, size);
  }
  if (method === 'PUT') {
    const digest = q.get('digest') ?? '';
    if (!isDigest(digest)) {
      req.resume();
      throw new DistributionError('DIGEST_INVALID', { digest });
    }
    await storage.appendUpload(uuid, req);
    await storage.finishUpload(r.name, uuid, digest);
    return created(digest);
  }
  if (method === 'DELETE') {
    req.resume();
    await storage.cancelUpload(uuid);
    res.writeHead(204, { 'Content-Length': 0 });
    return void res.end();
  }
  throw new DistributionError('UNSUPPORTED');
}

async function manifest(storage: RegistryStorage, r: Route, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const byDigest = isDigest(r.ref);
  if (!byDigest && !isTag(r.ref)) {
    // no such manifest can exist: reads answer 404 as distribution's router does (and the conformance suite wants)
    if (method !== 'PUT') {
      req.resume();
      throw new DistributionError('MANIFEST_UNKNOWN', { reference: r.ref });
    }
    throw new DistributionError('TAG_INVALID', { reference: r.ref }, 'invalid tag');
  }
  if (method === 'PUT') return putManifest(storage, r, req, res);
  req.resume();
  const digest = byDigest ? r.ref : await storage.resolveTag(r.name, r.ref);
  if (method === 'DELETE') {
    const ok = byDigest ? await storage.deleteManifest(r.name, r.ref) : await storage.deleteTag(r.name, r.ref);
    if (!ok) throw new DistributionError('MANIFEST_UNKNOWN', { reference: r.ref });
    res.writeHead(202, { 'Content-Length': 0 });
    return void res.end();
  }
  if (method !== 'GET' && method !== 'HEAD') throw new DistributionError('UNSUPPORTED');
  const found = digest !== undefined ? await storage.getManifest(r.name, digest) : undefined;
  // distribution answers MANIFEST_UNKNOWN here even when the repository does not exist
  if (!found || digest === undefined) throw new DistributionError('MANIFEST_UNKNOWN', byDigest ? { digest: r.ref } : { tag: r.ref });
  res.writeHead(200, { 'Content-Type': found.mediaType, 'Content-Length': found.bytes.length, 'Docker-Content-Digest': digest, ETag: `"${digest}"` });
  res.end(method === 'HEAD' ? undefined : found.bytes);
}

/**
 * The OCI 1.1 referrers API: an image index of the manifests whose `subject`
 * is the digest, each described with its artifactType (the manifest's own or
 * its config's media type) and annotations; `?artifactType=` filters, and
 * says so in OCI-Filters-Applied. An unknown digest has no referrers (200).
 */
async function referrers(storage: RegistryStorage, r: Route, method: string, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  req.resume();
  if (method !== 'GET') throw new DistributionError('UNSUPPORTED');
  if (!isDigest(r.ref)) throw new DistributionError('DIGEST_INVALID', { digest: r.ref }, 'invalid digest');
  const filter = url.searchParams.get('artifactType');
  const manifests: Record<string, unknown>[] = [];
  for (const digest of await storage.referrers(r.name, r.ref)) {
    const found = await storage.getManifest(r.name, digest);
    if (!found) continue;
    let parsed: ManifestJson;
    try {
      parsed = JSON.parse(found.bytes.toString('utf8')) as ManifestJson;
    } catch {
      continue;
    }
    const artifactType = parsed.artifactType ?? parsed.config?.mediaType;
    if (filter !== null && artifactType !== filter) continue;
    manifests.push({ mediaType: found.mediaType, digest, size: found.bytes.length, ...(artifactType ? { artifactType } : {}), ...(parsed.annotations ? { annotations: parsed.annotations } : {}) });
  }
  const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }) + '\n';
  res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Content-Length': Buffer.byteLength(text), ...(filter !== null ? { 'OCI-Filters-Applied': 'artifactType' } : {}) });
  res.end(text);
}

interface ManifestJson {
  mediaType?: string;
  artifactType?: string;
  annotations?: Record<string, string>;
  subject?: { digest?: string };
  config?: { digest?: string; mediaType?: string };
  layers?: { digest?: string; urls?: unknown }[];
  manifests?: { digest?: string }[];
}

async function putManifest(storage: RegistryStorage, r: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    total += c.length;
    if (total > MAX_MANIFEST) throw new DistributionError('MANIFEST_INVALID', { reason: 'manifest too big' }, 'manifest invalid: payload too large');
    chunks.push(c);
  }
  const bytes = Buffer.concat(chunks);
  let parsed: ManifestJson;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as ManifestJson;
  } catch {
    throw new DistributionError('MANIFEST_INVALID', { reason: 'not JSON' });
  }
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const mediaType = MANIFEST_TYPES.has(contentType) ? contentType : (parsed.mediaType ?? (parsed.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json'));
  if (!MANIFEST_TYPES.has(mediaType)) throw new DistributionError('MANIFEST_INVALID', { mediaType }, `manifest invalid: unsupported media type ${mediaType}`);
  if (parsed.mediaType !== undefined && parsed.mediaType !== mediaType) throw new DistributionError('MANIFEST_INVALID', { mediaType: parsed.mediaType }, 'manifest invalid: media type does not match Content-Type');
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (isDigest(r.ref) && r.ref !== digest) throw new DistributionError('DIGEST_INVALID', { expected: r.ref, actual: digest });
  if (INDEX_TYPES.has(mediaType)) {
    for (const m of parsed.manifests ?? []) {
      if (!m.digest || !isDigest(m.digest) || !(await storage.getManifest(r.name, m.digest))) throw new DistributionError('MANIFEST_BLOB_UNKNOWN', { digest: m.digest }, 'manifest blob unknown to registry');
    }
  } else {
    const refs = [parsed.config?.digest, ...(parsed.layers ?? []).filter((l) => l.urls === undefined).map((l) => l.digest)];
    if (parsed.config === undefined || !Array.isArray(parsed.layers)) throw new DistributionError('MANIFEST_INVALID', { reason: 'missing config or layers' });
    for (const d of refs) {
      if (!d || !isDigest(d) || (await storage.blobSize(r.name, d)) === undefined) throw new DistributionError('MANIFEST_BLOB_UNKNOWN', { digest: d }, 'blob unknown to registry');
    }
  }
  const subject = parsed.subject?.digest;
  if (parsed.subject !== undefined && (subject === undefined || !isDigest(subject))) throw new DistributionError('MANIFEST_INVALID', { reason: 'invalid subject' });
  await storage.putManifest(r.name, digest, mediaType, bytes, isDigest(r.ref) ? undefined : r.ref);
  if (subject !== undefined) await storage.addReferrer(r.name, subject, digest);
  res.writeHead(201, { Location: `/v2/${r.name}/manifests/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0, ...(subject !== undefined ? { 'OCI-Subject': subject } : {}) });
  res.end();
}

function paginate(all: string[], url: URL): { items: string[]; next?: string; n: number } {
  const last = url.searchParams.get('last');
  const nRaw = url.searchParams.get('n');
  const n = nRaw === null ? 1000 : Math.max(0, Number(nRaw) || 0);
  const from = last ? all.filter((x) => x > last) : all;
  const items = from.slice(0, n);
  return { items, n, ...(from.length > n && items.length > 0 ? { next: items[items.length - 1] } : {}) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
