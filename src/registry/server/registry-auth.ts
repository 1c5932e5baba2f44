import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import { DistributionError } from './distribution-error.js';

export interface AccessScope {
  readonly type: 'repository' | 'registry';
  readonly name: string;
  readonly actions: readonly string[];
}

/** Decides whether a request may go on; throws UNAUTHORIZED (with its WWW-Authenticate challenge) or DENIED. */
export interface RegistryAuthenticator {
  authorize(req: IncomingMessage, scope: AccessScope | undefined): Promise<void>;
  /** GET /token (token servers only). */
  issueToken?(req: IncomingMessage, params: URLSearchParams): Promise<Record<string, unknown>>;
}

/**
 * HTTP Basic against an htpasswd file. Supported hashes: bcrypt (`$2y$`,
 * `$2a$`, `$2b$`: `htpasswd -B`, what distribution requires), `{SHA}` (base64
 * SHA-1, `htpasswd -s`) and `{SHA256}` (base64 SHA-256). A bcrypt check costs
 * milliseconds, so successful checks are remembered (keyed by a salted hash of
 * user and password) for the authenticator's lifetime.
 * `anonymousPull` lets unauthenticated clients pull.
 */
export class HtpasswdAuthenticator implements RegistryAuthenticator {
  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly realm: string,
    private readonly anonymousPull = false,
  ) {}

  static parse(text: string, realm: string, anonymousPull = false): HtpasswdAuthenticator {
    const users = new Map<string, string>();
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const i = line.indexOf(':');
      if (i <= 0) throw new Error(`htpasswd: malformed line: ${line}`);
      const hash = line.slice(i + 1);
      if (!hash.startsWith('{SHA}') && !hash.startsWith('{SHA256}') && !/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
        throw new Error(`htpasswd: user ${line.slice(0, i)}: unsupported hash (use bcrypt: htpasswd -B)`);
      }
      users.set(line.slice(0, i), hash);
    }
    return new HtpasswdAuthenticator(users, realm, anonymousPull);
  }

  private unauthorized(): DistributionError {
    return new DistributionError('UNAUTHORIZED', undefined, undefined, { 'WWW-Authenticate': `Basic realm="${this.realm}"` });
  }

  async authorize(req: IncomingMessage, scope: AccessScope | undefined): Promise<void> {
    const user = await this.basicUser(req);
    if (user === undefined) {
      if (this.anonymousPull && scope?.type === 'repository' && scope.actions.every((a) => a === 'pull')) return;
      throw this.unauthorized();
    }
    if (user === false) throw this.unauthorized();
  }

  /** The user of a valid Basic header; undefined without one, false when it does not verify. */
  async basicUser(req: IncomingMessage): Promise<string | undefined | false> {
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const user = i < 0 ? decoded : decoded.slice(0, i);
    const password = i < 0 ? '' : decoded.slice(i + 1);
    return (await this.verify(user, password)) ? user : false;
  }

  get allowsAnonymousPull(): boolean {
    return this.anonymousPull;
  }

  private readonly verified = new Set<string>();
  private readonly cacheSalt = randomBytes(16);

  private async verify(user: string, password: string): Promise<boolean> {
    const stored = this.users.get(user);
    if (stored === undefined) return false;
    if (stored.startsWith('$2')) {
      const key = createHmac('sha256', this.cacheSalt).update(`${user}\0${password}\0${stored}`).digest('hex');
      if (this.verified.has(key)) return true;
      const ok = await bcrypt.compare(password, stored.replace(/^\$2y\$/, '$2b$'));
      if (ok && this.verified.size < 1024) this.verified.add(key);
      return ok;
    }
    const [prefix, algo] = stored.startsWith('{SHA256}') ? ['{SHA256}', 'sha256'] : ['{SHA}', 'sha1'];
    const expected = Buffer.from(stored.slice(prefix.length));
    const actual = Buffer.from(createHash(algo).update(password).digest('base64'));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

/** An htpasswd line with a `{SHA256}` hash (what `berth registry` accepts; for tests and docs). */
export function htpasswdLine(user: string, password: string): string {
  return `${user}:{SHA256}${createHash('sha256').update(password).digest('base64')}`;
}

/**
 * Bearer tokens (the distribution token flow) issued by this server at
 * /token: the client gets a challenge naming realm, service and scope, asks
 * /token with Basic credentials (checked against htpasswd) and receives an
 * HS256-signed JWT listing the granted actions; anonymous clients get pull
 * only when anonymousPull is on. Tokens live five minutes.
 */
export class TokenAuthenticator implements RegistryAuthenticator {
  constructor(
    private readonly users: HtpasswdAuthenticator,
    private readonly key: Buffer,
    private readonly service: string,
    private readonly realm?: string,
  ) {}

  private challenge(req: IncomingMessage, scope: AccessScope | undefined, error?: string): DistributionError {
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const realm = this.realm ?? `${scheme}://${req.headers.host ?? 'localhost'}/token`;
    const scopeText = scope ? `,scope="${scope.type}:${scope.name}:${scope.actions.join(',')}"` : '';
    return new DistributionError('UNAUTHORIZED', undefined, undefined, {
      'WWW-Authenticate': `Bearer realm="${realm}",service="${this.service}"${scopeText}${error ? `,error="${error}"` : ''}`,
    });
  }

  authorize(req: IncomingMessage, scope: AccessScope | undefined): Promise<void> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return Promise.reject(this.challenge(req, scope));
    const claims = this.verifyJwt(m[1] ?? '');
    if (!claims) return Promise.reject(this.challenge(req, scope, 'invalid_token'));
    if (!scope) return Promise.resolve();
    const granted = claims.access.filter((a) => a.type === scope.type && a.name === scope.name).flatMap((a) => a.actions);
    if (scope.actions.every((a) => granted.includes(a) || granted.includes('*'))) return Promise.resolve();
    return Promise.reject(this.challenge(req, scope, 'insufficient_scope'));
  }

  async issueToken(req: IncomingMessage, params: URLSearchParams): Promise<Record<string, unknown>> {
    const user = await this.users.basicUser(req);
    if (user === false || (user === undefined && !this.users.allowsAnonymousPull)) {
      throw new DistributionError('UNAUTHORIZED', undefined, undefined, { 'WWW-Authenticate': 'Basic realm="berth-registry-token"' });
    }
    const access: { type: string; name: string; actions: string[] }[] = [];
    for (const scope of params.getAll('scope').flatMap((s) => s.split(' '))) {
      const parts = scope.split(':');
      if (parts.length < 3 || (parts[0] !== 'repository' && parts[0] !== 'registry')) continue;
      const wanted = (parts[parts.length - 1] ?? '').split(',');
      const actions = user === undefined ? wanted.filter((a) => a === 'pull') : wanted;
      access.push({ type: parts[0], name: parts.slice(1, -1).join(':'), actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = this.signJwt({ iss: 'berth-registry', sub: user ?? '', aud: this.service, iat: now, nbf: now - 5, exp: now + 300, jti: randomBytes(8).toString('hex'), access });
    return { token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() };
  }

  private signJwt(claims: Record<string, unknown>): string {
    const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const sig = createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  private verifyJwt(token: string): { access: { type: string; name: string; actions: string[] }[] } | undefined {
    const [head, body, sig] = token.split('.');
    if (!head || !body || !sig) return undefined;
    const expected = Buffer.from(createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url'));
    const actual = Buffer.from(sig);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { exp?: number; aud?: string; access?: { type: string; name: string; actions: string[] }[] };
      if (typeof claims.exp !== 'number' || claims.exp < Date.now() / 1000 || claims.aud !== this.service) return undefined;
      return { access: claims.access ?? [] };
    } catch {
      return undefined;
    }
  }
}
