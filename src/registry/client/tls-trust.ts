import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

/**
 * Per-registry TLS trust, as Docker reads it: every `*.crt` in
 * `<certs.d>/<host:port>/` is an extra CA (added to the system roots), and a
 * `*.cert` with its matching `*.key` is a client certificate. The directories
 * searched are `/etc/berth/certs.d` then `/etc/docker/certs.d`, or only
 * `$BERTH_CERTS_DIR` when berthd's environment sets it (tests keep their CAs
 * to their own daemon that way).
 */
export interface RegistryTls {
  readonly ca?: string[];
  readonly cert?: string;
  readonly key?: string;
  /** false for insecure registries: HTTPS without verifying the certificate. */
  readonly rejectUnauthorized?: boolean;
}

export function certsDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  return env.BERTH_CERTS_DIR ? [env.BERTH_CERTS_DIR] : ['/etc/berth/certs.d', '/etc/docker/certs.d'];
}

/** The trust settings for `host` (`name:port`); undefined when no directory has any. */
export function registryTls(host: string, dirs: readonly string[] = certsDirs()): RegistryTls | undefined {
  if (host.includes('/') || host.includes('..')) return undefined;
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  for (const dir of dirs) {
    let files: string[];
    try {
      files = readdirSync(join(dir, host)).sort();
    } catch {
      continue;
    }
    for (const f of files) {
      const path = join(dir, host, f);
      if (f.endsWith('.crt')) ca.push(readFileSync(path, 'utf8'));
      else if (f.endsWith('.cert') && cert === undefined && files.includes(`${f.slice(0, -5)}.key`)) {
        cert = readFileSync(path, 'utf8');
        key = readFileSync(join(dir, host, `${f.slice(0, -5)}.key`), 'utf8');
      }
    }
  }
  if (ca.length === 0 && cert === undefined) return undefined;
  return { ...(ca.length > 0 ? { ca: [...rootCertificates, ...ca] } : {}), ...(cert !== undefined && key !== undefined ? { cert, key } : {}) };
}

type DispatcherClass = new (options: { connect: RegistryTls }) => object;
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const dispatchers = new Map<string, object>();

/**
 * An undici dispatcher (fetch's `dispatcher` init option) trusting `tls`.
 * Node 20 bundles undici without exporting its Agent class; the global
 * dispatcher it installs on first use is one, so its constructor is borrowed.
 */
export async function tlsDispatcher(host: string, tls: RegistryTls): Promise<object> {
  const key = tls.rejectUnauthorized === false ? `${host}#insecure` : host;
  const cached = dispatchers.get(key);
  if (cached) return cached;
  const g = globalThis as unknown as Record<symbol, { constructor: DispatcherClass } | undefined>;
  if (!g[GLOBAL_DISPATCHER]) await fetch('data:,').catch(() => undefined);
  const Agent = g[GLOBAL_DISPATCHER]?.constructor;
  if (!Agent) throw new Error('TLS: cannot create an HTTPS agent with custom CAs in this Node.js');
  const agent = new Agent({ connect: tls });
  dispatchers.set(key, agent);
  return agent;
}
