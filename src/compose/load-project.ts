import { access, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ComposeError } from './compose-error.js';
import { interpolateTree, type Environment } from './interpolate.js';
import { asRecord, asString, asStringList, parseCommand, parseKeyValues, parsePort, parseVolumeMount } from './parse-service-fields.js';
import type { ComposeProject, DependencyCondition, NetworkConfig, ServiceConfig, VolumeConfig } from './project-model.js';

export interface LoadOptions {
  /** `-f` files; empty: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml in `cwd`. */
  files: string[];
  /** `-p`; otherwise COMPOSE_PROJECT_NAME, the file's `name`, then the project directory's name. */
  projectName?: string;
  cwd: string;
  /** The process environment; it wins over the `.env` file beside the (first) compose file. */
  env: Environment;
  /** `--env-file`: these files (relative to `cwd`, in order) instead of the `.env` beside the compose file. */
  envFiles?: string[];
}

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const TOP_KEYS = new Set(['version', 'name', 'services', 'networks', 'volumes']);
const SERVICE_KEYS = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'ports', 'volumes', 'networks', 'depends_on',
  'restart', 'labels', 'working_dir', 'user', 'container_name', 'env_file', 'healthcheck',
]);
const NETWORK_KEYS = new Set(['name', 'driver', 'labels']);
const VOLUME_KEYS = new Set(['name', 'driver', 'labels']);

/** Project names as docker compose v2 normalizes them: lowercase, only [a-z0-9_-], starting with a letter or digit. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function findFiles(opts: LoadOptions): Promise<string[]> {
  if (opts.files.length > 0) return opts.files.map((f) => resolve(opts.cwd, f));
  for (const name of DEFAULT_FILES) {
    const path = resolve(opts.cwd, name);
    if (await exists(path)) return [path];
  }
  throw new ComposeError('no configuration file provided: not found');
}

/** Reads, interpolates and normalizes the compose file(s) into a checked project model. */
export async function loadProject(opts: LoadOptions): Promise<ComposeProject> {
  const configFiles = await findFiles(opts);
  const workingDir = dirname(configFiles[0] ?? opts.cwd);
  let dotenv: Record<string, string | undefined> = {};
  if (opts.envFiles && opts.envFiles.length > 0) {
    for (const f of opts.envFiles.map((x) => resolve(opts.cwd, x))) {
      const text = await readFile(f, 'utf8').catch(() => undefined);
      if (text === undefined) throw new ComposeError(`couldn't find env file: ${f}`);
      dotenv = { ...dotenv, ...parseEnv(text) };
    }
  } else {
    const dotenvPath = resolve(workingDir, '.env');
    if (await exists(dotenvPath)) dotenv = parseEnv(await readFile(dotenvPath, 'utf8'));
  }
  const env: Environment = { ...dotenv, ...opts.env };
  let merged: Record<string, unknown> = {};
  for (const file of configFiles) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ComposeError(`open ${file}: no such file or directory`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (err) {
      throw new ComposeError(`yaml: ${file}: ${(err as Error).message}`, { cause: err });
    }
    // Multiple -f files: later top-level sections and services replace earlier ones key by key (full merge rules are a later slice).
    const top = asRecord(interpolateTree(doc, env), file);
    merged = mergeTop(merged, top);
  }
  for (const key of Object.keys(merged)) {
    if (!TOP_KEYS.has(key)) throw new ComposeError(`unsupported top-level key "${key}" in ${configFiles.join(', ')}`);
  }
  const rawName = opts.projectName ?? env['COMPOSE_PROJECT_NAME'] ?? (merged['name'] !== undefined ? asString(merged['name'], 'name') : basename(workingDir));
  const name = normalizeProjectName(rawName);
  if (name === '') throw new ComposeError(`project name "${rawName}" must contain a lowercase letter or digit`);

  const networks: Record<string, NetworkConfig> = {};
  for (const [key, raw] of Object.entries(asRecord(merged['networks'], 'networks'))) networks[key] = parseNetwork(name, key, raw);
  const volumes: Record<string, VolumeConfig> = {};
  for (const [key, raw] of Object.entries(asRecord(merged['volumes'], 'volumes'))) volumes[key] = parseVolume(name, key, raw);

  const services: Record<string, ServiceConfig> = {};
  const rawServices = asRecord(merged['services'], 'services');
  if (Object.keys(rawServices).length === 0) throw new ComposeError('no service selected: the project defines no services');
  const envFiles: Record<string, Record<string, string>> = {};
  for (const [svc, raw] of Object.entries(rawServices)) {
    for (const file of envFilesOf(asRecord(raw, `services.${svc}`)['env_file'], `services.${svc}.env_file`, workingDir)) {
      if (envFiles[file]) continue;
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) throw new ComposeError(`env file ${file} not found: stat ${file}: no such file or directory`);
      envFiles[file] = parseEnv(text) as Record<string, string>;
    }
  }
  for (const [svc, raw] of Object.entries(rawServices)) services[svc] = parseService(svc, asRecord(raw, `services.${svc}`), { workingDir, env, envFiles });

  const usesDefault = Object.values(services).some((s) => 'default' in s.networks);
  if (usesDefault && !networks['default']) networks['default'] = { name: `${name}_default`, labels: {} };
  for (const [svc, s] of Object.entries(services)) {
    for (const net of Object.keys(s.networks)) {
      if (!networks[net]) throw new ComposeError(`service "${svc}" refers to undefined network ${net}: invalid compose project`);
    }
    for (const m of s.volumes) {
      if (m.type === 'volume' && m.source !== undefined && !volumes[m.source]) {
        throw new ComposeError(`service "${svc}" refers to undefined volume ${m.source}: invalid compose project`);
      }
    }
    for (const dep of s.depends_on) {
      if (!services[dep] && !(dep in rawServices)) throw new ComposeError(`service "${svc}" depends on undefined service "${dep}": invalid compose project`);
    }
  }
  return { name, workingDir, configFiles, services, networks, volumes };
}

function mergeTop(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const prev = out[k];
    if (['services', 'networks', 'volumes'].includes(k) && prev !== null && typeof prev === 'object' && v !== null && typeof v === 'object') {
      out[k] = { ...(prev as Record<string, unknown>), ...(v as Record<string, unknown>) };
    } else out[k] = v;
  }
  return out;
}

function checkKeys(raw: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.has(key)) throw new ComposeError(`${where}: unsupported key "${key}" (not implemented by berth compose yet)`);
  }
}

function stringMap(v: unknown, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(parseKeyValues(v, where))) out[k] = x ?? '';
  return out;
}

function parseNetwork(project: string, key: string, raw: unknown): NetworkConfig {
  const r = asRecord(raw, `networks.${key}`);
  checkKeys(r, NETWORK_KEYS, `networks.${key}`);
  return {
    name: r['name'] !== undefined ? asString(r['name'], `networks.${key}.name`) : `${project}_${key}`,
    labels: stringMap(r['labels'], `networks.${key}.labels`),
    ...(r['driver'] !== undefined ? { driver: asString(r['driver'], `networks.${key}.driver`) } : {}),
  };
}

function parseVolume(project: string, key: string, raw: unknown): VolumeConfig {
  const r = asRecord(raw, `volumes.${key}`);
  checkKeys(r, VOLUME_KEYS, `volumes.${key}`);
  return {
    name: r['name'] !== undefined ? asString(r['name'], `volumes.${key}.name`) : `${project}_${key}`,
    labels: stringMap(r['labels'], `volumes.${key}.labels`),
    ...(r['driver'] !== undefined ? { driver: asString(r['driver'], `volumes.${key}.driver`) } : {}),
  };
}

function parseService(svc: string, r: Record<string, unknown>, ctx: { workingDir: string; env: Environment; envFiles: Readonly<Record<string, Record<string, string>>> }): ServiceConfig {
  const where = `services.${svc}`;
  checkKeys(r, SERVICE_KEYS, where);
  // env_file: files relative to the project directory, in order; `environment` wins over them (Compose Specification).
  const fromFiles: Record<string, string> = {};
  for (const file of envFilesOf(r['env_file'], `${where}.env_file`, ctx.workingDir)) Object.assign(fromFiles, ctx.envFiles[file]);
  if (r['image'] === undefined && r['build'] === undefined) throw new ComposeError(`service "${svc}" has neither an image nor a build context specified: invalid compose project`);
  const s: ServiceConfig = {
    environment: { ...fromFiles, ...parseKeyValues(r['environment'], `${where}.environment`, ctx.env) },
    ports: r['ports'] === undefined ? [] : listOf(r['ports'], `${where}.ports`).map((p, i) => parsePort(p, `${where}.ports[${i}]`)),
    volumes: r['volumes'] === undefined ? [] : listOf(r['volumes'], `${where}.volumes`).map((v, i) => parseVolumeMount(v, `${where}.volumes[${i}]`, ctx.workingDir, ctx.env['HOME'])),
    networks: parseServiceNetworks(r['networks'], `${where}.networks`),
    depends_on: r['depends_on'] === undefined ? [] : Object.keys(parseDependsOn(r['depends_on'], `${where}.depends_on`)),
    labels: stringMap(r['labels'], `${where}.labels`),
  };
  if (r['image'] !== undefined) s.image = asString(r['image'], `${where}.image`);
  if (r['build'] !== undefined) s.build = parseBuild(r['build'], `${where}.build`, ctx.workingDir);
  if (r['command'] !== undefined && r['command'] !== null) s.command = parseCommand(r['command'], `${where}.command`);
  if (r['entrypoint'] !== undefined && r['entrypoint'] !== null) s.entrypoint = parseCommand(r['entrypoint'], `${where}.entrypoint`);
  if (r['restart'] !== undefined) s.restart = parseRestart(asString(r['restart'], `${where}.restart`), where);
  if (r['working_dir'] !== undefined) s.working_dir = asString(r['working_dir'], `${where}.working_dir`);
  if (r['user'] !== undefined) s.user = asString(r['user'], `${where}.user`);
  if (r['container_name'] !== undefined) s.container_name = asString(r['container_name'], `${where}.container_name`);
  if (r['depends_on'] !== undefined) {
    const conditions = parseDependsOn(r['depends_on'], `${where}.depends_on`);
    if (Object.values(conditions).some((c) => c !== 'service_started')) s.depends_on_conditions = conditions;
  }
  if (r['healthcheck'] !== undefined && r['healthcheck'] !== null) {
    const hc = parseHealthcheck(r['healthcheck'], `${where}.healthcheck`);
    if (hc) s.healthcheck = hc;
  }
  return s;
}

/** `env_file` as a string or a list, resolved against the project directory. */
export function envFilesOf(v: unknown, where: string, workingDir: string): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : listOf(v, where).map((f, i) => asString(f, `${where}[${i}]`));
  return list.map((f) => resolve(workingDir, f));
}

function listOf(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new ComposeError(`${where} must be a list`);
  return v;
}

function parseBuild(v: unknown, where: string, workingDir: string): { context: string; dockerfile?: string } {
  if (typeof v === 'string') return { context: resolve(workingDir, v) };
  const r = asRecord(v, where);
  checkKeys(r, new Set(['context', 'dockerfile']), where);
  return {
    context: resolve(workingDir, r['context'] === undefined ? '.' : asString(r['context'], `${where}.context`)),
    ...(r['dockerfile'] !== undefined ? { dockerfile: asString(r['dockerfile'], `${where}.dockerfile`) } : {}),
  };
}

function parseRestart(v: string, where: string): string {
  if (/^(no|always|unless-stopped|on-failure(:\d+)?)$/.test(v)) return v;
  throw new ComposeError(`${where}.restart: invalid restart policy "${v}"`);
}

function parseServiceNetworks(v: unknown, where: string): Record<string, { aliases: string[] }> {
  if (v === undefined || v === null) return { default: { aliases: [] } };
  const out: Record<string, { aliases: string[] }> = {};
  if (Array.isArray(v)) {
    for (const [i, n] of v.entries()) out[asString(n, `${where}[${i}]`)] = { aliases: [] };
    return out;
  }
  for (const [key, opts] of Object.entries(asRecord(v, where))) {
    const o = asRecord(opts, `${where}.${key}`);
    checkKeys(o, new Set(['aliases']), `${where}.${key}`);
    out[key] = { aliases: o['aliases'] === undefined ? [] : asStringList(o['aliases'], `${where}.${key}.aliases`) };
  }
  return out;
}

const CONDITIONS = new Set<DependencyCondition>(['service_started', 'service_healthy', 'service_completed_successfully']);

/** depends_on: the short list form (service_started) or the long form with a condition per dependency. */
function parseDependsOn(v: unknown, where: string): Record<string, DependencyCondition> {
  if (Array.isArray(v)) return Object.fromEntries(asStringList(v, where).map((d) => [d, 'service_started' as const]));
  const out: Record<string, DependencyCondition> = {};
  for (const [dep, opts] of Object.entries(asRecord(v, where))) {
    const o = asRecord(opts, `${where}.${dep}`);
    checkKeys(o, new Set(['condition']), `${where}.${dep}`);
    const condition = o['condition'] === undefined ? 'service_started' : asString(o['condition'], `${where}.${dep}.condition`);
    if (!CONDITIONS.has(condition as DependencyCondition)) throw new ComposeError(`${where}.${dep}.condition: invalid condition "${condition}"`);
    out[dep] = condition as DependencyCondition;
  }
  return out;
}

/** healthcheck: test (a string runs through the shell), Go durations, retries; `disable: true` or test NONE turn it off. */
function parseHealthcheck(v: unknown, where: string): ServiceConfig['healthcheck'] {
  const r = asRecord(v, where);
  checkKeys(r, new Set(['test', 'interval', 'timeout', 'start_period', 'start_interval', 'retries', 'disable']), where);
  if (r['disable'] === true) return { Test: ['NONE'] };
  const t = r['test'];
  const test = t === undefined ? [] : typeof t === 'string' ? ['CMD-SHELL', t] : asStringList(t, `${where}.test`);
  const out: NonNullable<ServiceConfig['healthcheck']> = { Test: test };
  for (const [key, field] of [['interval', 'Interval'], ['timeout', 'Timeout'], ['start_period', 'StartPeriod'], ['start_interval', 'StartInterval']] as const) {
    if (r[key] !== undefined) out[field] = goDuration(asString(r[key], `${where}.${key}`), `${where}.${key}`);
  }
  if (r['retries'] !== undefined) {
    if (typeof r['retries'] !== 'number' || !Number.isInteger(r['retries'])) throw new ComposeError(`${where}.retries must be an integer`);
    out.Retries = r['retries'];
  }
  return out;
}

/** Go's time.ParseDuration ("1m30s", "500ms", "2h") → nanoseconds. */
export function goDuration(text: string, where: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  if (text === '0') return 0;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2] ?? 's'] ?? 0);
    at = re.lastIndex;
  }
  if (at !== text.length || text === '') throw new ComposeError(`${where}: invalid duration "${text}"`);
  return Math.round(total);
}
