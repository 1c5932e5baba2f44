import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  [key: string]: unknown;
}

export interface StoredAuth {
  username: string;
  password: string;
  serveraddress: string;
}

const DOCKER_HUB = 'https://index.docker.io/v1/';

/** The config directory docker uses: $DOCKER_CONFIG or ~/.docker. */
export function configDir(env: NodeJS.ProcessEnv): string {
  return env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
}

/** The key a registry has in `auths` (Docker Hub keeps its legacy URL). */
export function serverKey(server: string | undefined): string {
  if (!server || server === 'docker.io' || server === 'index.docker.io' || server === 'registry-1.docker.io') return DOCKER_HUB;
  return server.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

async function readConfig(env: NodeJS.ProcessEnv): Promise<ConfigFile> {
  const text = await readFile(join(configDir(env), 'config.json'), 'utf8').catch(() => '');
  return text.trim() === '' ? {} : (JSON.parse(text) as ConfigFile);
}

async function writeConfig(env: NodeJS.ProcessEnv, config: ConfigFile): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'config.json');
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

export async function storeAuth(env: NodeJS.ProcessEnv, server: string, username: string, password: string): Promise<string> {
  const config = await readConfig(env);
  config.auths = { ...config.auths, [serverKey(server)]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } };
  return writeConfig(env, config);
}

/** Removes the entry; false when there was none. */
export async function eraseAuth(env: NodeJS.ProcessEnv, server: string): Promise<boolean> {
  const config = await readConfig(env);
  const key = serverKey(server);
  if (!config.auths?.[key]) return false;
  delete config.auths[key];
  await writeConfig(env, config);
  return true;
}

/** Asks `docker-credential-<helper> get` (the credential-helper protocol) for a server's credentials. */
function helperGet(helper: string, key: string): Promise<StoredAuth | undefined> {
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        resolve(out.Username !== undefined && out.Secret !== undefined ? { username: out.Username, password: out.Secret, serveraddress: key } : undefined);
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(key);
  });
}

export async function loadAuth(env: NodeJS.ProcessEnv, server: string): Promise<StoredAuth | undefined> {
  const config = await readConfig(env).catch(() => ({}) as ConfigFile);
  const key = serverKey(server);
  const helper = (config['credHelpers'] as Record<string, string> | undefined)?.[key] ?? config.credsStore;
  if (helper) {
    const found = await helperGet(helper, key);
    if (found) return found;
  }
  const entry = config.auths?.[key];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1), serveraddress: key };
}

/** The X-Registry-Auth header for the registry of `reference` ("e30=", i.e. {}, when nothing is stored). */
export async function registryAuthFor(env: NodeJS.ProcessEnv, reference: string): Promise<string> {
  const first = reference.split('/', 1)[0] ?? '';
  const hasDomain = reference.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const auth = await loadAuth(env, hasDomain ? first : 'docker.io');
  return Buffer.from(JSON.stringify(auth ?? {})).toString('base64url') || 'e30=';
}

/** The X-Registry-Config header of a build: every stored registry's credentials, as the docker CLI sends them ("e30=" when none). */
export async function registryConfigHeader(env: NodeJS.ProcessEnv): Promise<string> {
  const config = await readConfig(env).catch(() => ({}) as ConfigFile);
  const servers = new Set([...Object.keys(config.auths ?? {}), ...Object.keys((config['credHelpers'] as Record<string, string> | undefined) ?? {})]);
  const all: Record<string, StoredAuth> = {};
  for (const server of servers) {
    const auth = await loadAuth(env, server);
    if (auth) all[server] = auth;
  }
  return Buffer.from(JSON.stringify(all)).toString('base64url') || 'e30=';
}
