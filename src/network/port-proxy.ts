import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { conflict, internal } from '../errors/engine-error.js';

/**
 * The userland proxy for one published port, as Docker's docker-proxy: it
 * holds the host port (so a second binding of it fails) and forwards what
 * the kernel's DNAT cannot serve (connections to loopback). Lifecycle:
 * startPortProxy() binds (port 0 picks a free one) → close().
 */
export interface PortProxy {
  readonly proto: 'tcp' | 'udp';
  readonly hostIp: string;
  /** The bound host port (the chosen one when 0 was asked). */
  readonly hostPort: number;
  close(): Promise<void>;
}

export interface PortProxyTarget {
  readonly proto: 'tcp' | 'udp';
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerIp: string;
  readonly containerPort: number;
  /** Only hold the port (userland-proxy: false): the kernel's DNAT serves every connection, loopback included. */
  readonly holdOnly?: boolean;
}

const UDP_IDLE_MS = 90_000;

export async function startPortProxy(t: PortProxyTarget): Promise<PortProxy> {
  return t.proto === 'tcp' ? startTcp(t) : startUdp(t);
}

function bindError(err: NodeJS.ErrnoException, t: PortProxyTarget): Error {
  const where = `${t.hostIp === '' ? '0.0.0.0' : t.hostIp}:${t.hostPort}`;
  if (err.code === 'EADDRINUSE') return conflict(`Bind for ${where} failed: port is already allocated`);
  return internal(`listen ${t.proto} ${where}: ${err.message}`);
}

async function startTcp(t: PortProxyTarget): Promise<PortProxy> {
  const sockets = new Set<Socket>();
  // Half-closes pass through (as docker-proxy's CloseWrite): a peer that is done sending may still receive.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (t.holdOnly === true) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: t.containerIp, port: t.containerPort, allowHalfOpen: true });
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(bindError(err, t)));
    server.listen({ host: t.hostIp === '' ? '0.0.0.0' : t.hostIp, port: t.hostPort, exclusive: true }, () => resolve());
  });
  server.on('error', () => undefined);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : t.hostPort;
  return {
    proto: 'tcp',
    hostIp: t.hostIp,
    hostPort: port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function startUdp(t: PortProxyTarget): Promise<PortProxy> {
  const server = createSocket({ type: 'udp4', reuseAddr: false });
  const flows = new Map<string, { sock: UdpSocket; timer: NodeJS.Timeout }>();
  server.on('message', (msg, rinfo) => {
    if (t.holdOnly === true) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const sock = createSocket('udp4');
      sock.on('message', (reply) => server.send(reply, rinfo.port, rinfo.address));
      sock.on('error', () => undefined);
      flow = { sock, timer: setTimeout(() => undefined, 0) };
      flows.set(key, flow);
    }
    clearTimeout(flow.timer);
    const current = flow;
    current.timer = setTimeout(() => {
      current.sock.close();
      flows.delete(key);
    }, UDP_IDLE_MS);
    current.sock.send(msg, t.containerPort, t.containerIp);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(bindError(err, t)));
    server.bind({ address: t.hostIp === '' ? '0.0.0.0' : t.hostIp, port: t.hostPort, exclusive: true }, () => resolve());
  });
  server.on('error', () => undefined);
  return {
    proto: 'udp',
    hostIp: t.hostIp,
    hostPort: server.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const f of flows.values()) {
          clearTimeout(f.timer);
          f.sock.close();
        }
        flows.clear();
        server.close(() => resolve());
      }),
  };
}
