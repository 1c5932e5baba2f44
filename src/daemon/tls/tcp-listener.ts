import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
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
  if (server instanceof TlsServer) answerPlainHttp(server);
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

/** Go's net/http answer to plain HTTP on a TLS port, byte for byte (dockerd sends it; clients print it). */
export const PLAIN_HTTP_REPLY = 'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** First five bytes Go's tlsRecordHeaderLooksLikeHTTP accepts as an HTTP request. */
const HTTP_PREFIXES = ['GET /', 'HEAD ', 'POST ', 'PUT /', 'OPTIO'];
const TLS_HANDSHAKE = 0x16;
const PEEK_TIMEOUT_MS = 120_000; // Node's default TLS handshakeTimeout

/*
 * Peeks at each connection's first bytes before the TLS layer sees them: a
 * TLS record starts with 0x16 and goes on to the TLS server untouched (the
 * TLSSocket consumes data already buffered on the socket); a plain HTTP
 * request gets Go's 400 reply and is closed, as dockerd does; anything else
 * goes to TLS, which fails the handshake. A client that closes or stays
 * silent before five bytes is dropped.
 */
function answerPlainHttp(server: TlsServer): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    let head = Buffer.alloc(0);
    const handOver = (): void => {
      cleanup();
      socket.pause();
      if (head.length > 0) socket.unshift(head);
      for (const l of tlsListeners) l.call(server, socket);
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head[0] === TLS_HANDSHAKE || head.length >= 5) {
        if (HTTP_PREFIXES.includes(head.subarray(0, 5).toString('latin1'))) {
          cleanup();
          socket.on('error', () => socket.destroy());
          socket.end(PLAIN_HTTP_REPLY);
          return;
        }
        handOver();
      }
    };
    const onError = (): void => {
      cleanup();
      socket.destroy();
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onError);
      socket.off('error', onError);
      socket.off('timeout', onError);
      socket.setTimeout(0);
    };
    socket.setTimeout(PEEK_TIMEOUT_MS);
    socket.on('data', onData);
    socket.on('end', onError);
    socket.on('error', onError);
    socket.on('timeout', onError);
  });
}
