import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RegistryError } from './registry-error.js';
import type { RegistryEndpoint } from './registry-endpoint.js';
import { registryTls, tlsDispatcher } from './tls-trust.js';

/** Credentials for one registry, as the daemon receives them in X-Registry-Auth. */
export interface RegistryCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
  readonly registryToken?: string;
}

export interface RegistryRequest {
  readonly headers?: Record<string, string>;
  /** A body factory: called again when the request must be repeated after an auth challenge. */
  readonly body?: () => Buffer | AsyncIterable<Uint8Array>;
  /** `repository:name:pull,push` */
  readonly scope?: string;
  readonly signal?: AbortSignal;
}

const USER_AGENT = 'berth/0.1.0 (linux)';

/**
 * The scheme each insecure registry answered on. Docker tries HTTPS first
 * for an insecure registry (loopback ones included), without verifying its
 * certificate, and falls back to plain HTTP; the answer is remembered per
 * host, so only the first request pays for the probe.
 */
const insecureSchemes = new Map<string, Promise<'https' | 'http'>>();
const resolvedSchemes = new Map<string, 'https' | 'http'>();
const PROBE_TIMEOUT_MS = 15_000;

/**
 * HTTP to one registry with the WWW-Authenticate challenge flow: a 401
 * answers Basic (credentials sent as is) or Bearer (a token fetched from the
 * realm for the request's scope, cached per scope); the request is then
 * repeated once.
 */
export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private basic = false;
  /** undefined: not looked up yet; null: the default trust. */
  private dispatcher: object | null | undefined;

  constructor(
    readonly endpoint: RegistryEndpoint,
    private readonly credentials: RegistryCredentials = {},
  ) {}

  get baseUrl(): string {
    const scheme = this.endpoint.insecure ? (resolvedSchemes.get(this.endpoint.host) ?? 'http') : 'https';
    return `${scheme}://${this.endpoint.host}`;
  }

  /** For an insecure registry: whether it speaks HTTPS (probed once per host, then cached). */
  private async resolveScheme(signal?: AbortSignal): Promise<void> {
    const host = this.endpoint.host;
    if (!this.endpoint.insecure || resolvedSchemes.has(host)) return;
    let probe = insecureSchemes.get(host);
    if (!probe) {
      probe = (async () => {
        const url = `https://${host}/v2/`;
        try {
          const dispatcher = await this.dispatcherFor(url);
          const res = await fetch(url, { headers: { 'User-Agent': USER_AGENT }, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
          await res.body?.cancel().catch(() => undefined);
          return 'https' as const;
        } catch {
          return 'http' as const;
        }
      })();
      insecureSchemes.set(host, probe);
      void probe.then((scheme) => resolvedSchemes.set(host, scheme));
    }
    const scheme = await (signal ? Promise.race([probe, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))]) : probe);
    resolvedSchemes.set(host, scheme);
  }

  /** Forgets what an insecure registry spoke (after a connection failure), so the next request probes again. */
  private forgetScheme(): void {
    insecureSchemes.delete(this.endpoint.host);
    resolvedSchemes.delete(this.endpoint.host);
  }

  /** Resolves a Location header (absolute or relative) against the registry. */
  absolute(location: string): string {
    return new URL(location, this.baseUrl).toString();
  }

  async request(method: string, pathOrUrl: string, req: RegistryRequest = {}): Promise<Response> {
    await this.resolveScheme(req.signal);
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : this.baseUrl + pathOrUrl;
    let res = await this.send(method, url, req);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate') ?? '';
    await res.body?.cancel().catch(() => undefined);
    if (!(await this.answer(challenge, req.scope ?? '', req.signal))) {
      throw new RegistryError(401, 'UNAUTHORIZED', 'no basic auth credentials');
    }
    res = await this.send(method, url, req);
    return res;
  }

  private async send(method: string, url: string, req: RegistryRequest): Promise<Response> {
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...req.headers };
    const auth = this.authorization(req.scope ?? '');
    if (auth) headers.Authorization = auth;
    const body = req.body?.();
    try {
      const dispatcher = await this.dispatcherFor(url);
      return await fetch(url, {
        method,
        headers,
        redirect: 'follow',
        ...(dispatcher ? { dispatcher } : {}),
        ...(body !== undefined ? { body: body as BodyInit, duplex: 'half' } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      } as RequestInit);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      if (this.endpoint.insecure) this.forgetScheme();
      const cause = (err as Error & { cause?: Error }).cause;
      const verb = method.charAt(0) + method.slice(1).toLowerCase();
      throw new RegistryError(0, undefined, `${verb} "${url}": ${cause?.message ?? (err as Error).message}`);
    }
  }

  /** A dispatcher trusting the certs.d CAs of the registry (only for https to the registry's own host). */
  private async dispatcherFor(url: string): Promise<object | null> {
    if (!url.startsWith(`https://${this.endpoint.host}/`)) return null;
    if (this.dispatcher === undefined) {
      const tls = registryTls(this.endpoint.host);
      // an insecure registry's certificate is not verified (Docker's InsecureSkipVerify)
      if (this.endpoint.insecure) this.dispatcher = await tlsDispatcher(this.endpoint.host, { ...tls, rejectUnauthorized: false });
      else this.dispatcher = tls ? await tlsDispatcher(this.endpoint.host, tls) : null;
    }
    return this.dispatcher;
  }

  /**
   * Sends a big streamed body with node:http(s), which costs far less CPU
   * than fetch's web streams. No challenge is answered here: the request
   * before it (the upload's POST) settled the credentials for `scope`.
   */
  async sendStream(method: string, url: string, body: AsyncIterable<Uint8Array>, req: { headers?: Record<string, string>; scope?: string; signal?: AbortSignal } = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    await this.resolveScheme(req.signal);
    const target = new URL(url);
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...req.headers };
    const auth = this.authorization(req.scope ?? '');
    if (auth) headers.Authorization = auth;
    const https = target.protocol === 'https:';
    const tls = https && target.host === this.endpoint.host ? registryTls(this.endpoint.host) : undefined;
    const options = { method, headers, ...(req.signal ? { signal: req.signal } : {}), ...(tls ?? {}), ...(https && this.endpoint.insecure ? { rejectUnauthorized: false } : {}) };
    const outgoing = (https ? httpsRequest : httpRequest)(target, options);
    const answered = new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
      outgoing.once('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c.length < 4096 ? c : ''));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      });
      outgoing.once('error', reject);
    });
    answered.catch(() => undefined);
    try {
      await pipeline(Readable.from(body, { objectMode: false, highWaterMark: 4 << 20 }), outgoing);
      return await answered;
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      // an answer that came before the body was through (an error status) says more than the broken pipe
      const early = await Promise.race([answered.catch(() => undefined), new Promise<undefined>((r) => setTimeout(r, 50))]);
      if (early) return early;
      if (err instanceof RegistryError || !(err as NodeJS.ErrnoException).code) throw err;
      if (this.endpoint.insecure) this.forgetScheme();
      const verb = method.charAt(0) + method.slice(1).toLowerCase();
      throw new RegistryError(0, undefined, `${verb} "${url}": ${(err as Error).message}`);
    }
  }

  private authorization(scope: string): string | undefined {
    const token = this.tokens.get(scope) ?? this.tokens.get('');
    if (token) return `Bearer ${token}`;
    if (this.credentials.registryToken) return `Bearer ${this.credentials.registryToken}`;
    if (this.basic && this.credentials.username !== undefined) {
      return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password ?? ''}`).toString('base64')}`;
    }
    return undefined;
  }

  /** Handles a challenge; false when there is nothing to answer it with. */
  private async answer(challenge: string, scope: string, signal?: AbortSignal): Promise<boolean> {
    const scheme = challenge.split(/\s+/, 1)[0]?.toLowerCase();
    if (scheme === 'basic') {
      if (this.basic || this.credentials.username === undefined) return false;
      this.basic = true;
      return true;
    }
    if (scheme !== 'bearer') return false;
    const params = parseChallengeParams(challenge.slice(challenge.indexOf(' ') + 1));
    const realm = params.get('realm');
    if (!realm) return false;
    const url = new URL(realm);
    if (params.get('service')) url.searchParams.set('service', params.get('service') ?? '');
    const wanted = scope || params.get('scope') || '';
    if (wanted) url.searchParams.set('scope', wanted);
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT };
    if (this.credentials.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password ?? ''}`).toString('base64')}`;
    }
    const dispatcher = await this.dispatcherFor(url.toString());
    const res = await fetch(url, { headers, ...(signal ? { signal } : {}), ...(dispatcher ? { dispatcher } : {}) } as RequestInit);
    if (!res.ok) throw await RegistryError.fromResponse(res, 'token');
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return false;
    this.tokens.set(scope, token);
    return true;
  }
}

/** `realm="https://x",service="y",scope="z"` → map. */
export function parseChallengeParams(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /(\w+)=(?:"([^"]*)"|([^,\s]*))/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.set((m[1] ?? '').toLowerCase(), m[2] ?? m[3] ?? '');
  return out;
}
