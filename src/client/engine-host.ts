/** Where the engine listens: a unix socket path or a TCP host:port (TLS options ride along). */
export type EngineHost =
  | { kind: 'unix'; address: string; socketPath: string }
  | { kind: 'tcp'; address: string; host: string; port: number; tls?: TlsOptions };

/** Mutual-TLS material for tcp:// hosts; read by the caller, never by the client. */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verify: boolean;
}

export const DEFAULT_HOST = 'unix:///run/berth/berth.sock';

/** Host precedence as docker: the -H flag, then DOCKER_HOST, then BERTH_HOST, then our default socket. */
export function selectHostAddress(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag || env['DOCKER_HOST'] || env['BERTH_HOST'] || DEFAULT_HOST;
}

/** Parses `unix:///path`, `tcp://host:port` (port defaults to 2375, 2376 with TLS) or a bare `/path`. */
export function parseHost(address: string, tls?: TlsOptions): EngineHost {
  if (address.startsWith('/')) return { kind: 'unix', address: `unix://${address}`, socketPath: address };
  const m = /^([a-z]+):\/\/(.*)$/.exec(address);
  if (!m) throw new Error(`unable to parse docker host \`${address}\``);
  const [, proto = '', rest = ''] = m;
  if (proto === 'unix') {
    if (rest === '') throw new Error(`unable to parse docker host \`${address}\``);
    return { kind: 'unix', address, socketPath: rest };
  }
  if (proto === 'tcp' || proto === 'http' || proto === 'https') {
    const hostPort = rest.replace(/\/.*$/, '');
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
    let host: string;
    let port: string | undefined;
    if (bracket) {
      host = bracket[1] ?? '';
      port = bracket[2];
    } else {
      const idx = hostPort.lastIndexOf(':');
      host = idx >= 0 ? hostPort.slice(0, idx) : hostPort;
      port = idx >= 0 ? hostPort.slice(idx + 1) : undefined;
    }
    const useTls = tls !== undefined || proto === 'https';
    const portNum = port ? Number(port) : useTls ? 2376 : 2375;
    if (!Number.isInteger(portNum) || portNum <= 0 || portNum > 65535) throw new Error(`invalid bind address format: ${address}`);
    return { kind: 'tcp', address, host: host || '127.0.0.1', port: portNum, ...(tls ? { tls } : {}) };
  }
  throw new Error(`protocol not available`);
}
