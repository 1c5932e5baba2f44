/**
 * A raw Engine API client for hijacked streams that sends exactly what
 * docker-modem (dockerode) sends: `Connection: Upgrade`, `Upgrade: tcp`,
 * `Content-Type: application/json` and a JSON body with its Content-Length,
 * all in one write with the headers. Lifecycle: hijack() → write()/end() →
 * output resolves when the server closes → close().
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Hijacked {
  /** Status line and headers, as received. */
  readonly head: Promise<{ status: number; headers: Record<string, string> }>;
  /** Every byte after the response head, once the server closes the stream. */
  readonly output: Promise<Buffer>;
  /** The bytes received after the head so far. */
  received(): Buffer;
  readonly socket: Socket;
  /** Writes stdin bytes; resolves once the kernel took them (backpressure is respected). */
  write(data: Buffer | string): Promise<void>;
  /** Half-closes (the client's stdin ended). */
  end(): void;
  close(): void;
}

export interface HijackOptions {
  readonly body?: string;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Leave out the Upgrade headers (a plain POST whose response body is the stream). */
  readonly noUpgrade?: boolean;
  /** Bytes sent as they are right after the headers, in the same write (e.g. a chunked body). */
  readonly rawBody?: string;
}

export function hijack(socketPath: string, method: string, path: string, opts: HijackOptions = {}): Hijacked {
  const body = opts.body === undefined ? Buffer.alloc(0) : Buffer.from(opts.body);
  const headers: Record<string, string> = {
    Host: 'localhost',
    ...(opts.noUpgrade ? {} : { Connection: 'Upgrade', Upgrade: 'tcp' }),
    ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(body.length) }),
    ...opts.headers,
  };
  const text = `${method} ${path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  const socket = connect(socketPath);
  socket.write(Buffer.concat([Buffer.from(text), body, Buffer.from(opts.rawBody ?? '')]));
  const chunks: Buffer[] = [];
  let headDone = false;
  let pending = Buffer.alloc(0);
  let resolveHead: (h: { status: number; headers: Record<string, string> }) => void = () => undefined;
  let rejectHead: (e: Error) => void = () => undefined;
  const head = new Promise<{ status: number; headers: Record<string, string> }>((resolve, reject) => {
    resolveHead = resolve;
    rejectHead = reject;
  });
  head.catch(() => undefined);
  socket.on('data', (d: Buffer) => {
    if (headDone) {
      chunks.push(d);
      return;
    }
    pending = Buffer.concat([pending, d]);
    const end = pending.indexOf('\r\n\r\n');
    if (end < 0) return;
    headDone = true;
    const lines = pending.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number((lines[0] ?? '').split(' ')[1]);
    const hs: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) hs[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    resolveHead({ status, headers: hs });
    const rest = pending.subarray(end + 4);
    if (rest.length > 0) chunks.push(rest);
  });
  const output = new Promise<Buffer>((resolve) => {
    socket.on('close', () => {
      rejectHead(new Error(`connection closed before a response head: ${pending.toString('latin1')}`));
      resolve(Buffer.concat(chunks));
    });
  });
  socket.on('error', () => undefined);
  return {
    head,
    output,
    received: () => Buffer.concat(chunks),
    socket,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        socket.write(data, (err) => (err ? reject(err) : resolve()));
      }),
    end: () => socket.end(),
    close: () => socket.destroy(),
  };
}

/** Splits Docker's multiplexed framing into its streams (stdout 1, stderr 2). */
export function demux(buf: Buffer): { stdout: Buffer; stderr: Buffer; rest: Buffer } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const size = buf.readUInt32BE(off + 4);
    if (off + 8 + size > buf.length) break;
    const payload = buf.subarray(off + 8, off + 8 + size);
    if (buf[off] === 2) err.push(payload);
    else out.push(payload);
    off += 8 + size;
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), rest: buf.subarray(off) };
}

/** Waits until `cond()` holds, polling; throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One ordinary JSON request on the daemon's socket. */
export function apiJson(socketPath: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath, method, path, headers: payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
