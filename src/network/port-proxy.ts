import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { Readable } from 'node:stream';
import { conflict, internal } from '../errors/engine-error.js';
import { endProcess, processFacts } from './port-proxy-record.js';

/**
 * The userland proxy for one published port, as Docker's docker-proxy: it
 * holds the host port (so a second binding of it fails) and forwards what
 * the kernel's DNAT cannot serve (connections to loopback). Lifecycle:
 * startPortProxy() binds (port 0 picks a free one), or adoptPortProxy()
 * takes over one a previous daemon run started → close(). The native proxy
 * is a process of its own session that outlives the daemon; the in-process
 * one ends with it.
 */
export interface PortProxy {
  readonly proto: 'tcp' | 'udp';
  readonly hostIp: string;
  /** The bound host port (the chosen one when 0 was asked). */
  readonly hostPort: number;
  /** The berth-proxy process serving it; undefined for the in-process proxy. */
  readonly pid?: number | undefined;
  /** Field 22 of /proc/<pid>/stat of that process (tells it from a later one with the same pid). */
  readonly startTime?: string | undefined;
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
/** Flows (one socket each) per UDP port; past it the least recently used one goes, as in berth-proxy. */
const UDP_MAX_FLOWS = 4096;

/**
 * native/build/berth-proxy (splice(2) relay, one process per port as
 * docker-proxy), found from the package root: dist/src/network → ../../..
 * when built, src/network → ../.. when run from source.
 */
const NATIVE_PROXY = ['../../../native/build/berth-proxy', '../../native/build/berth-proxy']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((p) => existsSync(p));

export interface StartPortProxyOptions {
  /** false: the in-process proxy even when the native one is built. */
  readonly native?: boolean;
  /** Put in the native proxy's argv (`-owner`): the daemon's exec root, to find its proxies on the host. */
  readonly owner?: string;
}

/** The native proxy when it is built; the in-process one otherwise, and for ports that are only held. */
export async function startPortProxy(t: PortProxyTarget, opts: StartPortProxyOptions = {}): Promise<PortProxy> {
  if (t.holdOnly !== true && opts.native !== false && NATIVE_PROXY !== undefined) return startNative(NATIVE_PROXY, t, opts.owner);
  return t.proto === 'tcp' ? startTcp(t) : startUdp(t);
}

/** A berth-proxy a previous run of the daemon started (pid and start time checked by the caller); close() ends it. */
export function adoptPortProxy(p: { proto: 'tcp' | 'udp'; hostIp: string; hostPort: number; pid: number; startTime: string }): PortProxy {
  return { proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, pid: p.pid, startTime: p.startTime, close: () => endProcess(p) };
}

function hostAddress(t: PortProxyTarget): string {
  return t.hostIp === '' ? '0.0.0.0' : t.hostIp.includes(':') ? `[${t.hostIp}]` : t.hostIp;
}

function bindError(err: NodeJS.ErrnoException, t: PortProxyTarget): Error {
  const where = `${hostAddress(t)}:${t.hostPort}`;
  if (err.code === 'EADDRINUSE') return conflict(`Bind for ${where} failed: port is already allocated`);
  return internal(`listen ${t.proto} ${where}: ${err.message}`);
}

const EADDRINUSE = 98;
const READY_TIMEOUT_MS = 15_000;

/**
 * Spawns berth-proxy and waits for its one-line report on fd 3 ("ok PORT"
 * or "err ERRNO MESSAGE"): the bind happens in the proxy, so a busy port
 * still fails the container's start with Docker's message.
 */
async function startNative(binary: string, t: PortProxyTarget, owner: string | undefined): Promise<PortProxy> {
  // Its own session and process group, so that it outlives the daemon (a crash, a SIGKILL of the group).
  // prettier-ignore
  const child = spawn(binary, [
    '-proto', t.proto, '-host-ip', t.hostIp === '' ? '0.0.0.0' : t.hostIp, '-host-port', String(t.hostPort),
    '-container-ip', t.containerIp, '-container-port', String(t.containerPort),
    ...(owner !== undefined ? ['-owner', owner] : []),
  ], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const report = await new Promise<string>((resolve) => {
    const fd3 = child.stdio[3] as Readable | null;
    let text = '';
    const timer = setTimeout(() => resolve('err 110 no report from berth-proxy'), READY_TIMEOUT_MS);
    const done = (line: string): void => {
      clearTimeout(timer);
      resolve(line);
    };
    child.once('error', (err) => done(`err 0 ${err.message}`));
    if (!fd3) return done('err 0 no report pipe');
    fd3.on('data', (b: Buffer) => {
      text += b.toString();
      if (text.includes('\n')) done(text.slice(0, text.indexOf('\n')));
    });
    fd3.on('error', () => undefined);
    fd3.on('end', () => done(text === '' ? 'err 0 berth-proxy exited without a report' : text.trim()));
  });
  const ok = /^ok (\d+)$/.exec(report);
  if (!ok) {
    child.kill('SIGKILL');
    await exited;
    const m = /^err (\d+) (.*)$/.exec(report);
    const errno = Number(m?.[1] ?? 0);
    const err: NodeJS.ErrnoException = new Error(m?.[2] ?? report);
    if (errno === EADDRINUSE) err.code = 'EADDRINUSE';
    throw bindError(err, t);
  }
  (child.stdio[3] as Readable | null)?.destroy();
  child.unref();
  const startTime = child.pid !== undefined ? (await processFacts(child.pid))?.startTime : undefined;
  return {
    proto: t.proto,
    hostIp: t.hostIp,
    hostPort: Number(ok[1]),
    pid: child.pid,
    startTime,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const late = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(late);
      }
    },
  };
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
    server.listen({ host: t.hostIp === '' ? '0.0.0.0' : t.hostIp, ipv6Only: t.hostIp.includes(':'), port: t.hostPort, exclusive: true }, () => resolve());
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
  const server = createSocket({ type: t.hostIp.includes(':') ? 'udp6' : 'udp4', reuseAddr: false, ipv6Only: t.hostIp.includes(':') });
  const flows = new Map<string, { sock: UdpSocket; timer: NodeJS.Timeout }>();
  server.on('message', (msg, rinfo) => {
    if (t.holdOnly === true) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (flow) {
      flows.delete(key); // re-inserted below: the Map's order is least recently used first
    } else {
      if (flows.size >= UDP_MAX_FLOWS) {
        const [oldKey, old] = flows.entries().next().value as [string, { sock: UdpSocket; timer: NodeJS.Timeout }];
        clearTimeout(old.timer);
        old.sock.close();
        flows.delete(oldKey);
      }
      const sock = createSocket(t.containerIp.includes(':') ? 'udp6' : 'udp4');
      sock.on('message', (reply) => server.send(reply, rinfo.port, rinfo.address));
      sock.on('error', () => undefined);
      flow = { sock, timer: setTimeout(() => undefined, 0) };
    }
    flows.set(key, flow);
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
