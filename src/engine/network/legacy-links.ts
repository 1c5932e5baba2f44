import { conflict, EngineError } from '../../errors/engine-error.js';
import type { Db } from '../../store/database.js';
import { findContainer } from '../containers/container-repo.js';
import type { ContainerRecord } from '../containers/container-model.js';

/**
 * Legacy `--link name[:alias]` on the default bridge, as Docker resolves it
 * at start: an /etc/hosts line "<ip>\t<alias> <hostname> [<name>]" and the
 * environment ALIAS_PORT…, ALIAS_NAME=/<container>/<alias>, ALIAS_ENV_….
 */
export interface LinkFacts {
  readonly hosts: string[];
  readonly env: string[];
}

/** "web:db" / "/web:/client/db" / "web" → [child name, alias]. */
export function parseLink(link: string): [string, string] {
  const idx = link.indexOf(':');
  const name = (idx < 0 ? link : link.slice(0, idx)).replace(/^\//, '');
  const aliasPath = idx < 0 ? name : link.slice(idx + 1);
  const alias = aliasPath.slice(aliasPath.lastIndexOf('/') + 1);
  return [name, alias === '' ? name : alias];
}

export function resolveLinks(db: Db, c: ContainerRecord): LinkFacts {
  const hosts: string[] = [];
  const env: string[] = [];
  for (const link of c.hostConfig.Links ?? []) {
    const [name, alias] = parseLink(link);
    const child = findContainer(db, name);
    if (!child) throw new EngineError('not_found', `could not get container for ${name}`);
    if (!child.state.Running) throw conflict(`Cannot link to a non running container: /${child.name} AS /${c.name}/${alias}`);
    const endpoint = child.runtime.network?.endpoints.find((e) => e.networkName === 'bridge');
    if (!endpoint) throw conflict(`Cannot link to /${child.name}, as it does not belong to the default network`);
    const names = [alias, child.config.Hostname, ...(alias !== child.name ? [child.name] : [])];
    hosts.push(`${endpoint.ip}\t${names.join(' ')}`);
    env.push(...linkEnv(`/${c.name}/${alias}`, endpoint.ip, child));
  }
  return { hosts, env };
}

function linkEnv(linkName: string, ip: string, child: ContainerRecord): string[] {
  const prefix = (linkName.slice(linkName.lastIndexOf('/') + 1)).toUpperCase().replace(/-/g, '_');
  const ports = Object.keys(child.config.ExposedPorts ?? {})
    .map((k) => {
      const [port = '', proto = 'tcp'] = k.split('/');
      return { port: Number(port), proto };
    })
    .filter((p) => Number.isInteger(p.port) && p.port > 0)
    // Docker's nat.Sort: by number, tcp before other protocols.
    .sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto.localeCompare(b.proto)));
  const env: string[] = [];
  const first = ports[0];
  if (first) env.push(`${prefix}_PORT=${first.proto}://${ip}:${first.port}`);
  // Runs of consecutive ports of one protocol also get _START/_END variables.
  for (let i = 0; i < ports.length; ) {
    const start = ports[i];
    let j = i;
    while (j + 1 < ports.length && ports[j + 1]?.proto === start?.proto && ports[j + 1]?.port === (ports[j]?.port ?? 0) + 1) j++;
    const end = ports[j];
    if (start && end && j > i) {
      const P = start.proto.toUpperCase();
      env.push(
        `${prefix}_PORT_${start.port}_${P}_START=${start.proto}://${ip}:${start.port}`,
        `${prefix}_PORT_${start.port}_${P}_ADDR=${ip}`,
        `${prefix}_PORT_${start.port}_${P}_PORT_START=${start.port}`,
        `${prefix}_PORT_${start.port}_${P}_PORT_END=${end.port}`,
      );
    }
    i = j + 1;
  }
  for (const p of ports) {
    const P = p.proto.toUpperCase();
    env.push(
      `${prefix}_PORT_${p.port}_${P}=${p.proto}://${ip}:${p.port}`,
      `${prefix}_PORT_${p.port}_${P}_ADDR=${ip}`,
      `${prefix}_PORT_${p.port}_${P}_PORT=${p.port}`,
      `${prefix}_PORT_${p.port}_${P}_PROTO=${p.proto}`,
    );
  }
  env.push(`${prefix}_NAME=${linkName}`);
  for (const e of child.config.Env ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const key = e.slice(0, eq);
    if (key === 'HOME' || key === 'PATH') continue;
    env.push(`${prefix}_ENV_${key}=${e.slice(eq + 1)}`);
  }
  return env;
}
