/**
 * A unix-socket relay between the clients of an integration test and berthd
 * that checks every JSON response against Docker's swagger on the way.
 *
 * The relay is byte for byte (client ↔ daemon, half-close kept), so clients see
 * exactly what the daemon sent, hijacked and upgraded connections included; it
 * only observes copies of the bytes with an HTTP parser (http-parser-js, the
 * parser Node's own used to be). Observation of a connection stops at a 101, a
 * raw-stream reply (attach, exec start), an upgrade request, or anything the
 * parser cannot read; the relay goes on regardless.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import httpParser from 'http-parser-js';
import type { ResponseValidator } from './response-validator.js';

const { HTTPParser } = httpParser;
/** Bodies larger than this are not validated (image tarballs, big logs). */
const BODY_LIMIT = 8 * 1024 * 1024;
const RAW_STREAM = /^application\/vnd\.docker\.(raw-stream|multiplexed-stream)/;

export interface ValidatingProxy {
  readonly socket: string;
  close(): Promise<void>;
}

interface PendingRequest {
  readonly method: string;
  readonly url: string;
}

export async function startValidatingProxy(listenPath: string, daemonSocket: string, validator: ResponseValidator): Promise<ValidatingProxy> {
  await rm(listenPath, { force: true });
  const connections = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = createConnection({ path: daemonSocket, allowHalfOpen: true });
    connections.add(client);
    connections.add(upstream);
    const forget = (): void => {
      connections.delete(client);
      connections.delete(upstream);
    };
    client.once('close', forget);
    upstream.once('close', forget);
    client.on('error', () => upstream.destroy());
    // The daemon may reset a connection right after its reply (a request it refused mid-body, headers too large):
    // the client still gets every byte of that reply, then the end, as it would from the daemon itself.
    upstream.on('error', () => {
      client.unpipe(upstream);
      client.resume();
      client.end();
    });
    observe(client, upstream, validator);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPath, () => resolve());
  });
  return {
    socket: listenPath,
    async close() {
      for (const s of connections) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(listenPath, { force: true });
    },
  };
}

function observe(client: Socket, upstream: Socket, validator: ResponseValidator): void {
  const queue: PendingRequest[] = [];
  let requestsReadable = true;
  let responsesReadable = true;

  const requests = new HTTPParser(HTTPParser.REQUEST);
  requests[HTTPParser.kOnHeadersComplete] = (info) => {
    queue.push({ method: HTTPParser.methods[info.method] ?? String(info.method), url: info.url });
    // After an upgrade request the client's bytes are the container's stdin.
    if (info.upgrade) requestsReadable = false;
  };

  const responses = new HTTPParser(HTTPParser.RESPONSE);
  let current: { req: PendingRequest; status: number; contentType: string; chunks: Buffer[]; size: number; lineRest: string } | undefined;
  responses[HTTPParser.kOnHeadersComplete] = (info) => {
    const req = queue.shift() ?? { method: '?', url: '?' };
    const contentType = header(info.headers, 'content-type');
    if (info.statusCode === 101 || info.upgrade || RAW_STREAM.test(contentType)) {
      responsesReadable = false;
      requestsReadable = false;
      current = undefined;
      return 1;
    }
    current = { req, status: info.statusCode, contentType, chunks: [], size: 0, lineRest: '' };
    // A HEAD reply announces a length but has no body.
    return req.method === 'HEAD' ? 1 : 0;
  };
  responses[HTTPParser.kOnBody] = (buf, start, len) => {
    const c = current;
    if (!c) return;
    const chunk = Buffer.from(buf.subarray(start, start + len));
    if (isEventsStream(c.req.url) && c.status === 200) {
      // A followed events stream never ends: check each line as it comes.
      const text = c.lineRest + chunk.toString('utf8');
      const lines = text.split('\n');
      c.lineRest = lines.pop() ?? '';
      const route = validator.route(c.req.method, c.req.url);
      for (const line of lines) {
        if (line.trim() !== '' && route) validator.checkEvent({ method: c.req.method, url: c.req.url, status: c.status, contentType: c.contentType }, route.version, line);
      }
      return;
    }
    c.size += len;
    if (c.size <= BODY_LIMIT) c.chunks.push(chunk);
  };
  responses[HTTPParser.kOnMessageComplete] = () => {
    const c = current;
    current = undefined;
    if (!c || c.size > BODY_LIMIT) return;
    if (isEventsStream(c.req.url) && c.status === 200) {
      const route = validator.route(c.req.method, c.req.url);
      if (c.lineRest.trim() !== '' && route) validator.checkEvent({ method: c.req.method, url: c.req.url, status: c.status, contentType: c.contentType }, route.version, c.lineRest);
      return;
    }
    validator.check({ method: c.req.method, url: c.req.url, status: c.status, contentType: c.contentType, body: Buffer.concat(c.chunks) });
  };

  client.on('data', (chunk: Buffer) => {
    if (!requestsReadable) return;
    if (requests.execute(chunk) instanceof Error) requestsReadable = false;
  });
  upstream.on('data', (chunk: Buffer) => {
    if (!responsesReadable) return;
    if (responses.execute(chunk) instanceof Error) responsesReadable = false;
  });
  upstream.once('end', () => {
    // A body that runs until the connection closes ends here.
    if (responsesReadable) responses.finish();
  });
}

const isEventsStream = (url: string): boolean => /^(\/v\d+\.\d+)?\/events(\?|$)/.test(url);

function header(flat: readonly string[], name: string): string {
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i]?.toLowerCase() === name) return flat[i + 1] ?? '';
  return '';
}
