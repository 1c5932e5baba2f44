import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HtpasswdAuthenticator, TokenAuthenticator, type RegistryAuthenticator } from './registry-auth.js';
import { createRegistryServer, listen } from './registry-server.js';
import { RegistryStorage } from './registry-storage.js';

/** The `--config` file (JSON). */
export interface RegistryConfig {
  auth?: {
    htpasswd?: { path: string; realm?: string };
    anonymousPull?: boolean;
    /** Bearer tokens from this server's /token instead of Basic on every request. */
    token?: { service?: string; realm?: string; secret?: string };
  };
  /** HTTPS: PEM files, relative to the config file's directory. */
  tls?: { certificate: string; key: string };
}

export interface RunningRegistry {
  /** host:port actually bound. */
  readonly address: string;
  close(): Promise<void>;
}

/** Opens the storage and serves the registry on `addr` until close(). */
export async function startRegistry(options: { addr: string; storage: string; config: unknown; configDir?: string; log?: (line: string) => void }): Promise<RunningRegistry> {
  const config = (options.config ?? {}) as RegistryConfig;
  const storage = await RegistryStorage.open(options.storage);
  let auth: RegistryAuthenticator | undefined;
  const htpasswd = config.auth?.htpasswd;
  if (htpasswd) {
    const path = resolve(options.configDir ?? dirname(options.storage), htpasswd.path);
    const users = HtpasswdAuthenticator.parse(await readFile(path, 'utf8'), htpasswd.realm ?? 'berth-registry', config.auth?.anonymousPull ?? false);
    const token = config.auth?.token;
    auth = token ? new TokenAuthenticator(users, token.secret ? Buffer.from(token.secret) : randomBytes(32), token.service ?? 'berth-registry', token.realm) : users;
  }
  const base = options.configDir ?? dirname(options.storage);
  const tls = config.tls ? { cert: await readFile(resolve(base, config.tls.certificate)), key: await readFile(resolve(base, config.tls.key)) } : undefined;
  const server = createRegistryServer({ storage, ...(auth ? { auth } : {}), ...(tls ? { tls } : {}), ...(options.log ? { log: options.log } : {}) });
  const info = await listen(server, options.addr);
  return {
    address: `${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}
