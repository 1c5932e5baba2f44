import { parseKeyValues } from '../../argv/common-flags.js';
import { readFileSync } from 'node:fs';
import { parseMountFlag } from './mount-flag.js';
import { HEALTH_FLAGS, healthcheckFromFlags } from './health-flags.js';
import { CREATE_ONLY_RESOURCE_FLAGS, RESOURCE_FLAGS, createOnlyResourceFields, resourceFields } from './resource-flags.js';
import type { FlagSpec, FlagValues } from '../../argv/flag-parser.js';
import type { ContainerCreateRequest, HostConfig, RestartPolicy } from '../../../client/wire-types.js';

/** The create/run flags Berth maps onto the Engine API (names, shorthands and types as docker's). */
export const CREATE_FLAGS: FlagSpec[] = [
  { long: 'add-host', kind: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
  { long: 'attach', short: 'a', kind: 'list', description: 'Attach to STDIN, STDOUT or STDERR' },
  { long: 'cap-add', kind: 'list', description: 'Add Linux capabilities' },
  { long: 'cap-drop', kind: 'list', description: 'Drop Linux capabilities' },
  { long: 'cgroupns', kind: 'string', description: 'Cgroup namespace to use (host|private)' },
  { long: 'cidfile', kind: 'string', description: 'Write the container ID to the file' },
  { long: 'dns', kind: 'list', description: 'Set custom DNS servers' },
  { long: 'dns-option', kind: 'list', description: 'Set DNS options' },
  { long: 'dns-search', kind: 'list', description: 'Set custom DNS search domains' },
  { long: 'domainname', kind: 'string', description: 'Container NIS domain name' },
  { long: 'entrypoint', kind: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { long: 'env', short: 'e', kind: 'list', description: 'Set environment variables' },
  { long: 'env-file', kind: 'list', description: 'Read in a file of environment variables' },
  { long: 'expose', kind: 'list', description: 'Expose a port or a range of ports' },
  { long: 'hostname', short: 'h', kind: 'string', description: 'Container host name' },
  { long: 'init', kind: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
  { long: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
  { long: 'ipc', kind: 'string', description: 'IPC mode to use' },
  { long: 'label', short: 'l', kind: 'list', description: 'Set meta data on a container' },
  { long: 'label-file', kind: 'list', description: 'Read in a line delimited file of labels' },
  { long: 'log-driver', kind: 'string', description: 'Logging driver for the container' },
  { long: 'log-opt', kind: 'list', description: 'Log driver options' },
  { long: 'memory', short: 'm', kind: 'string', valueName: 'bytes', description: 'Memory limit' },
  ...RESOURCE_FLAGS,
  ...CREATE_ONLY_RESOURCE_FLAGS,
  ...HEALTH_FLAGS,
  { long: 'name', kind: 'string', description: 'Assign a name to the container' },
  { long: 'network', kind: 'string', valueName: 'network', description: 'Connect a container to a network' },
  { long: 'net', kind: 'string', valueName: 'network', description: 'Connect a container to a network', hidden: true },
  { long: 'ip', kind: 'string', valueName: 'ip', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { long: 'link-local-ip', kind: 'list', valueName: 'list', description: 'Container IPv4/IPv6 link-local addresses' },
  { long: 'link', kind: 'list', description: 'Add link to another container' },
  { long: 'mount', kind: 'list', description: 'Attach a filesystem mount to the container' },
  { long: 'volumes-from', kind: 'list', description: 'Mount volumes from the specified container(s)' },
  { long: 'network-alias', kind: 'list', valueName: 'list', description: 'Add network-scoped alias for the container' },
  { long: 'pid', kind: 'string', description: 'PID namespace to use' },
  { long: 'platform', kind: 'string', description: 'Set platform if server is multi-platform capable' },
  { long: 'privileged', kind: 'bool', description: 'Give extended privileges to this container' },
  { long: 'publish', short: 'p', kind: 'list', description: "Publish a container's port(s) to the host" },
  { long: 'publish-all', short: 'P', kind: 'bool', description: 'Publish all exposed ports to random ports' },
  { long: 'pull', kind: 'string', description: 'Pull image before creating ("always", "missing", "never")', defaultValue: 'missing' },
  { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the pull output' },
  { long: 'read-only', kind: 'bool', description: "Mount the container's root filesystem as read only" },
  { long: 'restart', kind: 'string', description: 'Restart policy to apply when a container exits', defaultValue: 'no' },
  { long: 'rm', kind: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { long: 'runtime', kind: 'string', description: 'Runtime to use for this container' },
  { long: 'security-opt', kind: 'list', description: 'Security Options' },
  { long: 'stop-signal', kind: 'string', description: 'Signal to stop the container' },
  { long: 'stop-timeout', kind: 'int', description: 'Timeout (in seconds) to stop a container' },
  { long: 'tmpfs', kind: 'list', description: 'Mount a tmpfs directory' },
  { long: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
  { long: 'user', short: 'u', kind: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { long: 'userns', kind: 'string', description: 'User namespace to use' },
  { long: 'uts', kind: 'string', description: 'UTS namespace to use' },
  { long: 'volume', short: 'v', kind: 'list', description: 'Bind mount a volume' },
  { long: 'workdir', short: 'w', kind: 'string', description: 'Working directory inside the container' },
];

/** Everything `create` and `run` need, parsed and validated once. */
export interface CreateOptions {
  image: string;
  name: string | undefined;
  platform: string | undefined;
  pull: 'always' | 'missing' | 'never';
  quiet: boolean;
  cidfile: string | undefined;
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  request: ContainerCreateRequest;
}

/** docker CLI: `seccomp=<file>` is sent as `seccomp=<the file's compacted JSON>`; the daemon never opens client paths. */
function seccompFileOpt(opt: string): string {
  const m = /^seccomp[=:](.*)$/s.exec(opt);
  const value = m?.[1];
  if (value === undefined || value === 'unconfined' || value === 'builtin') return opt;
  let text: string;
  try {
    text = readFileSync(value, 'utf8');
  } catch (err) {
    throw new Error(`opening seccomp profile (${value}) failed: ${(err as Error).message}`);
  }
  try {
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  } catch (err) {
    throw new Error(`compacting json for seccomp profile (${value}) failed: ${(err as Error).message}`);
  }
}

export function readKeyValueFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s+/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** `KEY=value` passes; a bare `KEY` takes the caller's value or is dropped (docker's ValidateEnv). */
export function resolveEnv(entries: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.includes('=')) {
      if (e.startsWith('=')) throw new Error(`invalid environment variable: ${e}`);
      out.push(e);
    } else if (env[e] !== undefined) out.push(`${e}=${env[e] ?? ''}`);
  }
  return out;
}

/** The docker CLI's ParseRestartPolicy: name[:count], the name checked by the daemon (its texts, its status). */
export function parseRestartPolicy(value: string): RestartPolicy {
  if (value === '' || value === 'no') return { Name: 'no' };
  const [name = '', count] = value.split(':');
  // Any other name goes to the daemon as it is: dockerd answers "invalid restart policy 'X'".
  if (count === undefined) return { Name: name as RestartPolicy['Name'] };
  const n = Number(count);
  if (count === '' || !Number.isInteger(n)) throw new Error(`invalid restart policy format: maximum retry count must be an integer`);
  return { Name: name as RestartPolicy['Name'], MaximumRetryCount: n };
}

/** go-units RAMInBytes: "512m" → 536870912 (binary multiples). */
export function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(value.trim());
  if (!m) throw new Error(`invalid size: '${value}'`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.trunc(Number(m[1]) * (mult[(m[2] ?? '').toLowerCase()] ?? 1));
}

/** `[ip:][hostPort:]containerPort[/proto]` → exposed port key and binding. */
export function parsePublish(spec: string): { port: string; binding: { HostIp: string; HostPort: string } } {
  const [addr = '', proto = 'tcp'] = spec.split('/');
  let ip = '';
  let hostPort = '';
  let containerPort = addr;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(addr);
  const rest = bracket ? bracket[2] ?? '' : addr;
  if (bracket) ip = bracket[1] ?? '';
  const parts = rest.split(':');
  if (parts.length === 1) containerPort = parts[0] ?? '';
  else if (parts.length === 2) [hostPort = '', containerPort = ''] = parts;
  else if (parts.length === 3 && !bracket) [ip = '', hostPort = '', containerPort = ''] = parts;
  else throw new Error(`invalid port format for --publish: ${spec}`);
  if (!/^\d+(-\d+)?$/.test(containerPort)) throw new Error(`invalid containerPort: ${containerPort}`);
  return { port: `${containerPort}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } };
}

export function buildCreateOptions(flags: FlagValues, args: string[], env: NodeJS.ProcessEnv, mode: { detach: boolean }): CreateOptions {
  const [image = '', ...cmd] = args;
  const attachList = flags.list('attach').map((a) => a.toLowerCase());
  for (const a of attachList) {
    if (a !== 'stdin' && a !== 'stdout' && a !== 'stderr') throw new Error(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  }
  const interactive = flags.bool('interactive');
  // docker CLI (opts.go): -i attaches stdin; `create` is not detached, so `create -i` sets AttachStdin and StdinOnce as `run -i` does.
  const attach = mode.detach
    ? { stdin: false, stdout: false, stderr: false }
    : attachList.length > 0
      ? { stdin: attachList.includes('stdin') || interactive, stdout: attachList.includes('stdout'), stderr: attachList.includes('stderr') }
      : { stdin: interactive, stdout: true, stderr: true };
  if (mode.detach && attachList.length > 0) throw new Error('Conflicting options: -a and -d');

  const envEntries = [...flags.list('env-file').flatMap(readKeyValueFile), ...flags.list('env')];
  const labels = parseKeyValues([...flags.list('label-file').flatMap(readKeyValueFile), ...flags.list('label')]);
  const pull = flags.string('pull') ?? 'missing';
  if (pull !== 'always' && pull !== 'missing' && pull !== 'never') throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);

  const host: HostConfig = {};
  const binds = flags.list('volume');
  if (binds.length > 0) host.Binds = binds;
  const mounts = flags.list('mount');
  if (mounts.length > 0) host['Mounts'] = mounts.map(parseMountFlag);
  const volumesFrom = flags.list('volumes-from');
  if (volumesFrom.length > 0) host['VolumesFrom'] = volumesFrom;
  const network = flags.string('network') ?? flags.string('net');
  if (network) host.NetworkMode = network;
  if (flags.has('restart')) host.RestartPolicy = parseRestartPolicy(flags.string('restart') ?? 'no');
  if (flags.bool('rm')) {
    if (host.RestartPolicy && host.RestartPolicy.Name !== 'no') throw new Error('Conflicting options: --restart and --rm');
    host.AutoRemove = true;
  }
  if (flags.has('init')) host.Init = flags.bool('init');
  const runtime = flags.string('runtime');
  if (runtime) host.Runtime = runtime;
  if (flags.bool('privileged')) host['Privileged'] = true;
  if (flags.bool('read-only')) host['ReadonlyRootfs'] = true;
  const userns = flags.string('userns');
  if (userns !== undefined) {
    if (userns !== '' && userns !== 'host') throw new Error('--userns: invalid USER mode');
    host['UsernsMode'] = userns;
  }
  namespaceFlagsInto(flags, host);
  const listInto = (flag: string, key: string): void => {
    const v = flags.list(flag);
    if (v.length > 0) host[key] = v;
  };
  listInto('cap-add', 'CapAdd');
  listInto('cap-drop', 'CapDrop');
  listInto('dns', 'Dns');
  listInto('dns-option', 'DnsOptions');
  listInto('dns-search', 'DnsSearch');
  listInto('add-host', 'ExtraHosts');
  listInto('link', 'Links');
  const securityOpts = flags.list('security-opt').map(seccompFileOpt);
  if (securityOpts.length > 0) host['SecurityOpt'] = securityOpts;
  const memory = flags.string('memory');
  if (memory) host['Memory'] = parseMemory(memory);
  Object.assign(host, resourceFields(flags, parseMemory), createOnlyResourceFields(flags, parseMemory));
  const tmpfs = flags.list('tmpfs');
  if (tmpfs.length > 0) {
    host['Tmpfs'] = Object.fromEntries(tmpfs.map((t) => {
      const colon = t.indexOf(':');
      return colon < 0 ? [t, ''] : [t.slice(0, colon), t.slice(colon + 1)];
    }));
  }
  const logDriver = flags.string('log-driver');
  const logOpts = flags.list('log-opt');
  if (logDriver || logOpts.length > 0) host['LogConfig'] = { Type: logDriver ?? '', Config: parseKeyValues(logOpts) };

  const exposed: Record<string, object> = {};
  for (const e of flags.list('expose')) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of flags.list('publish')) {
    const { port, binding } = parsePublish(p);
    exposed[port] = {};
    bindings[port] = [...(bindings[port] ?? []), binding];
  }
  if (Object.keys(bindings).length > 0) host['PortBindings'] = bindings;
  if (flags.bool('publish-all')) host['PublishAllPorts'] = true;

  const request: ContainerCreateRequest = {
    Hostname: flags.string('hostname') ?? '',
    Domainname: flags.string('domainname') ?? '',
    User: flags.string('user') ?? '',
    AttachStdin: attach.stdin,
    AttachStdout: attach.stdout,
    AttachStderr: attach.stderr,
    Tty: flags.bool('tty'),
    OpenStdin: interactive,
    // As docker: a run attached to stdin closes the container's stdin when the client's ends.
    StdinOnce: interactive && attach.stdin,
    Env: resolveEnv(envEntries, env),
    Image: image,
    WorkingDir: flags.string('workdir') ?? '',
    Labels: labels,
    HostConfig: host,
  };
  if (Object.keys(exposed).length > 0) request.ExposedPorts = exposed;
  if (flags.has('entrypoint')) request.Entrypoint = [flags.string('entrypoint') ?? ''];
  const stopSignal = flags.string('stop-signal');
  if (stopSignal) request.StopSignal = stopSignal;
  if (flags.has('stop-timeout')) request.StopTimeout = flags.int('stop-timeout');
  if (cmd.length > 0) request.Cmd = cmd;
  const healthcheck = healthcheckFromFlags(flags);
  if (healthcheck) Object.assign(request, { Healthcheck: healthcheck });
  const endpoint = endpointFromFlags(flags);
  if (endpoint) {
    // As docker: --ip and --network-alias describe the endpoint on the network given with --network.
    Object.assign(request, { NetworkingConfig: { EndpointsConfig: { [network || 'default']: endpoint } } });
  }

  return {
    image,
    name: flags.string('name'),
    platform: flags.string('platform'),
    pull,
    quiet: flags.bool('quiet'),
    cidfile: flags.string('cidfile'),
    attach,
    request,
  };
}

/** docker CLI's checks of --pid, --uts and --cgroupns (--ipc is checked by the daemon). */
function namespaceFlagsInto(flags: { string(name: string): string | undefined }, host: HostConfig): void {
  const pid = flags.string('pid');
  if (pid !== undefined) {
    if (!(pid === '' || pid === 'host' || (pid.startsWith('container:') && pid.length > 'container:'.length))) throw new Error('--pid: invalid PID mode');
    host['PidMode'] = pid;
  }
  const uts = flags.string('uts');
  if (uts !== undefined) {
    if (uts !== '' && uts !== 'host') throw new Error('--uts: invalid UTS mode');
    host['UTSMode'] = uts;
  }
  const cgroupns = flags.string('cgroupns');
  if (cgroupns !== undefined) {
    if (!['', 'host', 'private'].includes(cgroupns)) throw new Error('--cgroupns: invalid CGROUP mode');
    host['CgroupnsMode'] = cgroupns;
  }
  const ipc = flags.string('ipc');
  if (ipc !== undefined) host['IpcMode'] = ipc;
}

function endpointFromFlags(flags: { string(name: string): string | undefined; list(name: string): string[] }): Record<string, unknown> | undefined {
  const ip = flags.string('ip');
  const aliases = flags.list('network-alias');
  const linkLocal = flags.list('link-local-ip');
  if (!ip && aliases.length === 0 && linkLocal.length === 0) return undefined;
  const endpoint: Record<string, unknown> = {};
  if (ip || linkLocal.length > 0) endpoint['IPAMConfig'] = { ...(ip ? { IPv4Address: ip } : {}), ...(linkLocal.length > 0 ? { LinkLocalIPs: linkLocal } : {}) };
  if (aliases.length > 0) endpoint['Aliases'] = aliases;
  return endpoint;
}
