import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { DaemonTls } from '../config/daemon-config.js';
import type { ApiTlsOptions } from '../api/server.js';

/*
 * berthd's TCP listeners: mutual TLS only (the config layer refuses tcp://
 * without tlsverify + CA + cert + key). IPv6 hosts come bracketed:
 * tcp://[::1]:2376.
 */

/** Splits a normalized `tcp://host:port` into what net.Server.listen takes. */
export function tcpAddress(host: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]*):(\d+)$/.exec(host);
  if (!m || m[1] === undefined || m[2] === undefined) throw new Error(`invalid tcp host: ${host}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Reads the PEM files named in the daemon's TLS settings. */
export async function loadTlsMaterial(tls: DaemonTls): Promise<ApiTlsOptions> {
  if (!tls.verify || !tls.caCert || !tls.cert || !tls.key) {
    throw new Error('refusing to listen on TCP without mutual TLS: set --tlsverify, --tlscacert, --tlscert and --tlskey');
  }
  const read = (what: string, path: string): Promise<Buffer> =>
    readFile(path).catch((err: unknown) => {
      throw new Error(`could not load ${what} ${path}: ${(err as Error).message}`);
    });
  return { ca: await read('CA certificate', tls.caCert), cert: await read('certificate', tls.cert), key: await read('key', tls.key) };
}

/** Listens on a tcp:// host; resolves once bound (port 0 picks a free one, see server.address()). */
export function listenTcp(server: Server, host: string): Promise<void> {
  const addr = tcpAddress(host);
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Logged at every start and shown by `docker info` when `--tls=false` opens an unencrypted TCP listener (dockerd does the same). */
export function insecureTcpWarning(host: string): string {
  return `WARNING: API is accessible on http://${host.slice('tcp://'.length)} without encryption. Access to the remote API is equivalent to root access on the host; use --tlsverify with client certificates instead (scripts/gen-certs.sh).`;
}
