import http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ClientError, ConnectionError } from './client-error.js';
import type { EngineHost } from './engine-host.js';

/**
 * Plain HTTP sends no SNI: an empty servername spares the agent's net.isIP() on the host name (~3.5 ms, its
 * first call compiles the IPv6 pattern). Not in http.RequestOptions' type, hence spread from here.
 */
const NO_SERVERNAME = { servername: '' };

/** The newest Engine API version this client speaks. */
export const CLIENT_API_VERSION = '1.50';
/** What a daemon that does not announce its version is assumed to speak (as docker). */
const FALLBACK_API_VERSION = '1.24';

export type QueryValue = string | number | boolean | undefined | readonly string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** JSON body; serialized with Content-Type application/json. */
  json?: unknown;
  /** Raw body streamed with backpressure (tar archives). */
  body?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface EngineClientOptions {
  host: EngineHost;
  /** Pins the API version (DOCKER_API_VERSION) and skips negotiation. */
  apiVersion?: string;
  userAgent?: string;
}

export interface PingResult {
  apiVersion: string | undefined;
  osType: string | undefined;
  experimental: boolean;
  builderVersion: string | undefined;
}

/** An upgraded (hijacked) connection: raw bytes both ways. `head` holds bytes that arrived with the 101. */
export interface HijackedConnection {
  socket: Duplex;
  head: Buffer;
}

export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else if (typeof value === 'boolean') params.append(key, value ? '1' : '0');
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * Transport for the Engine API over a unix socket or TCP. Negotiates the API version once
 * (GET /_ping, min(ours, server's)) and prefixes every path with `/v1.xx`.
 * Non-2xx replies become ClientError; unreachable daemons become ConnectionError.
 */
export class EngineClient {
  readonly host: EngineHost;
  private version: string | undefined;
  private negotiation: Promise<string> | undefined;
  private readonly userAgent: string;

  constructor(options: EngineClientOptions) {
    this.host = options.host;
    this.version = options.apiVersion;
    this.userAgent = options.userAgent ?? 'Berth-Client/0.1.0 (linux)';
  }

  /** The negotiated API version (negotiating on first use). */
  apiVersion(): Promise<string> {
    if (this.version !== undefined) return Promise.resolve(this.version);
    this.negotiation ??= this.ping().then((p) => {
      const server = p.apiVersion ?? FALLBACK_API_VERSION;
      this.version = compareApiVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
      return this.version;
    });
    return this.negotiation;
  }

  async ping(signal?: AbortSignal): Promise<PingResult> {
    const res = await this.send('GET', '/_ping', { ...(signal ? { signal } : {}) }, false);
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    // Like docker, a failed ping shows the body (e.g. Go's plain-HTTP-to-TLS-port reply).
    if (res.statusCode !== undefined && res.statusCode >= 400 && header('api-version') === undefined) throw await errorFromResponse(res);
    res.resume();
    return {
      apiVersion: header('api-version'),
      osType: header('ostype'),
      experimental: header('docker-experimental') === 'true',
      builderVersion: header('builder-version'),
    };
  }

  /** Sends a request and resolves with the response once its status is 2xx (body unread). */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<http.IncomingMessage> {
    const res = await this.send(method, path, options, true);
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    throw await errorFromResponse(res);
  }

  /** Sends a request and decodes a JSON reply (undefined for 204 / empty bodies). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, options);
    const text = (await readBody(res)).toString('utf8');
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Sends a request and discards the reply body. */
  async call(method: string, path: string, options: RequestOptions = {}): Promise<void> {
    const res = await this.request(method, path, options);
    await readBody(res);
  }

  /**
   * Upgrades the connection (`Connection: Upgrade`, `Upgrade: tcp`) as docker does for attach and exec start.
   * A daemon that answers 200 instead of 101 still streams on the response; writes are then unsupported.
   */
  async hijack(method: string, path: string, options: RequestOptions = {}): Promise<HijackedConnection> {
    const version = await this.apiVersion();
    const fullPath = `/v${version}${path}${buildQuery(options.query)}`;
    const payload = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
    return new Promise<HijackedConnection>((resolve, reject) => {
      const req = this.rawRequest(method, fullPath, {
        ...options.headers,
        Connection: 'Upgrade',
        Upgrade: 'tcp',
        ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) } : {}),
      }, options.signal);
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ socket: res as unknown as Duplex, head: Buffer.alloc(0) });
        else errorFromResponse(res).then(reject, reject);
      });
      req.on('error', (err) => reject(this.translateError(err)));
      req.end(payload);
    });
  }

  private async send(method: string, path: string, options: RequestOptions, versioned: boolean): Promise<http.IncomingMessage> {
    const prefix = versioned ? `/v${await this.apiVersion()}` : '';
    const fullPath = `${prefix}${path}${buildQuery(options.query)}`;
    const headers: Record<string, string> = { ...options.headers };
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    } else if (options.body) {
      headers['Content-Type'] = options.contentType ?? 'application/x-tar';
    }
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = this.rawRequest(method, fullPath, headers, options.signal);
      req.on('response', resolve);
      req.on('error', (err) => reject(this.translateError(err)));
      if (options.body) {
        // The daemon may answer (e.g. with an error) before the upload ends; the response still wins.
        pipeline(options.body, req).catch((err: unknown) => reject(this.translateError(err as Error)));
      } else {
        req.end(payload);
      }
    });
  }

  private rawRequest(method: string, path: string, headers: Record<string, string>, signal: AbortSignal | undefined): http.ClientRequest {
    const common = {
      method,
      path,
      headers: { 'User-Agent': this.userAgent, ...headers },
      ...(signal ? { signal } : {}),
    };
    if (this.host.kind === 'unix') return http.request({ ...common, socketPath: this.host.socketPath, host: 'api.moby.localhost', ...NO_SERVERNAME });
    const tls = this.host.tls;
    if (tls) {
      // node:https (with tls and crypto) takes a few ms to load: only TLS connections pay for it
      const { request } = createRequire(import.meta.url)('node:https') as typeof https;
      return request({
        ...common,
        host: this.host.host,
        port: this.host.port,
        ...(tls.ca ? { ca: tls.ca } : {}),
        ...(tls.cert ? { cert: tls.cert } : {}),
        ...(tls.key ? { key: tls.key } : {}),
        rejectUnauthorized: tls.verify,
      });
    }
    return http.request({ ...common, host: this.host.host, port: this.host.port, ...NO_SERVERNAME });
  }

  private translateError(err: Error): Error {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTDIR' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND') {
      return new ConnectionError(this.host.address, { cause: err });
    }
    // OpenSSL's alert text, shaped like docker's "remote error: tls: certificate required".
    if (code?.startsWith('ERR_SSL_')) {
      return new Error(`error during connect: ${this.host.address}: tls: ${code.slice('ERR_SSL_'.length).toLowerCase().replace(/_/g, ' ')}`, { cause: err });
    }
    if (code === 'EACCES') {
      return new Error(`permission denied while trying to connect to the Docker daemon socket at ${this.host.address}: connect: permission denied`, { cause: err });
    }
    return err;
  }
}

export async function readBody(res: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

async function errorFromResponse(res: http.IncomingMessage): Promise<ClientError> {
  const status = res.statusCode ?? 0;
  const text = (await readBody(res)).toString('utf8').trim();
  let message = text;
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: docker shows the raw body.
  }
  if (message === '') message = `${http.STATUS_CODES[status] ?? 'error'} (status ${status})`;
  return new ClientError(status, message);
}
