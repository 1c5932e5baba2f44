import { MULTIPLEXED_STREAM, RAW_STREAM } from './stdcopy.js';
import { compareVersions } from './versions.js';
import type { Duplex } from 'node:stream';
import type { RequestContext } from './request-context.js';
import { API_VERSION } from './versions.js';

const serverHeaders = {
  'Api-Version': API_VERSION,
  'Docker-Experimental': 'false',
  Ostype: 'linux',
  Server: 'Berth/0.1.0 (linux)',
};

export function commonHeaders(): Record<string, string> {
  return { ...serverHeaders };
}

/** Writes a JSON reply on an ordinary response or on an upgraded socket. */
export function sendJson(ctx: RequestContext, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n';
  if (ctx.res) {
    if (ctx.res.headersSent) {
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(status, {
      ...serverHeaders,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    ctx.res.end(text);
    return;
  }
  if (ctx.upgradeSocket) writeRawResponse(ctx.upgradeSocket, status, 'application/json', text);
}

export function sendStatus(ctx: RequestContext, status: number): void {
  if (ctx.res) {
    if (ctx.res.headersSent) {
      ctx.res.end();
      return;
    }
    ctx.res.writeHead(status, { ...serverHeaders, 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  if (ctx.upgradeSocket) writeRawResponse(ctx.upgradeSocket, status, 'text/plain', '');
}

export function sendText(ctx: RequestContext, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  if (ctx.res) {
    ctx.res.writeHead(status, { ...serverHeaders, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : text);
    return;
  }
  if (ctx.upgradeSocket) writeRawResponse(ctx.upgradeSocket, status, contentType, text);
}

/** Docker's error body: `{"message": "..."}`. */
export function sendError(ctx: RequestContext, status: number, message: string): void {
  sendJson(ctx, status, { message });
}

function writeRawResponse(socket: Duplex, status: number, contentType: string, body: string): void {
  const head =
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    Object.entries(serverHeaders)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body);
}

function statusText(status: number): string {
  const texts: Record<number, string> = {
    200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request',
    403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
  };
  return texts[status] ?? 'Unknown';
}

/**
 * Switches the connection to a raw stream as Docker's attach/exec do: 101
 * when the client asked to upgrade, otherwise a 200 whose body is the stream.
 * Returns the socket to write frames to (and read stdin from).
 */
export function hijack(ctx: RequestContext, requested: string): Duplex {
  // The multiplexed-stream media type came with API 1.42; before it dockerd names every hijacked stream raw.
  const contentType = requested === MULTIPLEXED_STREAM && compareVersions(ctx.apiVersion, '1.42') < 0 ? RAW_STREAM : requested;
  if (ctx.upgradeSocket) {
    ctx.upgradeSocket.write(
      `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        Object.entries(serverHeaders)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n',
    );
    return ctx.upgradeSocket;
  }
  const res = ctx.res;
  if (!res) throw new Error('hijack without a connection');
  const socket = res.socket;
  if (!socket) throw new Error('hijack without a socket');
  socket.write(
    `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n` +
      Object.entries(serverHeaders)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('') +
      '\r\n',
  );
  res.detachSocket(socket);
  return socket;
}
