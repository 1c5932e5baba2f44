import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { guardRequestBody } from '../../src/lib/request-body-guard.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A loopback HTTP server whose requests are guarded like berthd's. */
async function serve(handler: Handler, drainAfterReplyMs?: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    guardRequestBody(req, res, drainAfterReplyMs);
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Upload {
  status: number;
  body: string;
}

/**
 * A plain HTTP/1.1 client on one loopback connection. Like Go's client (the
 * docker CLI), it goes on sending a body after the reply came (Node's own
 * client stops emitting 'drain' then). With `total` Infinity it stops
 * writing at the reply but never ends the body.
 */
class RawClient {
  private readonly socket: Socket;
  private received = Buffer.alloc(0);
  private onBytes: (() => void) | undefined;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (b: Buffer) => {
      this.received = Buffer.concat([this.received, b]);
      this.onBytes?.();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.onBytes?.());
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  /** Sends a POST of `total` bytes; resolves with the reply once the reply is in and the body is written. */
  async post(total: number): Promise<Upload> {
    const chunked = total === Infinity;
    this.socket.write(`POST / HTTP/1.1\r\nHost: x\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${total}`}\r\n\r\n`);
    const reply = this.readReply();
    let replied = false;
    void reply.then(() => (replied = true), () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 7);
    const framed = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
    for (let sent = 0; sent < total && !(chunked && replied); sent += chunk.length) {
      const piece = chunked ? framed : chunk.subarray(0, Math.min(chunk.length, total - sent));
      if (!this.socket.write(piece)) await this.drainedOrClosed();
      if (this.socket.destroyed) break;
    }
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }

  private drainedOrClosed(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done).off('close', done);
        resolve();
      };
      this.socket.on('drain', done).on('close', done);
    });
  }

  private async readReply(): Promise<Upload> {
    for (;;) {
      const headEnd = this.received.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const head = this.received.subarray(0, headEnd).toString('latin1');
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (this.received.length >= headEnd + 4 + length) {
          const body = this.received.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
          this.received = this.received.subarray(headEnd + 4 + length);
          return { status: Number(head.split(' ')[1]), body };
        }
      }
      if (this.socket.destroyed) throw new Error(`connection closed before the reply: ${this.received.toString('latin1')}`);
      await new Promise<void>((resolve) => (this.onBytes = resolve));
    }
  }
}

test('a handler that destroys a body still arriving gets its error reply to the client', async () => {
  const s = await serve((req, res) => {
    req.once('data', () => {
      req.destroy();
      res.statusCode = 400;
      res.end('{"message":"bad context"}');
    });
  });
  try {
    const client = new RawClient(s.port);
    const r = await client.post(32 * 1024 * 1024);
    assert.deepEqual(r, { status: 400, body: '{"message":"bad context"}' });
    // the rest of the body was read and dropped, so the connection still serves the next request
    assert.equal((await client.post(256 * 1024)).status, 400);
    client.close();
  } finally {
    await s.close();
  }
});

test('leaving a for-await over the body (iterator return destroys it) does not cut the reply', async () => {
  const s = await serve(async (req, res) => {
    let seen = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      seen += c.length;
      if (seen > 1024 * 1024) break;
    }
    res.statusCode = 413;
    res.end('too large');
  });
  try {
    const client = new RawClient(s.port);
    assert.deepEqual(await client.post(48 * 1024 * 1024), { status: 413, body: 'too large' });
    assert.equal((await client.post(1024)).status, 413);
    client.close();
  } finally {
    await s.close();
  }
});

test('a reply that leaves the body partly read still reaches the client', async () => {
  const s = await serve((req, res) => {
    req.once('data', () => {
      req.pause();
      res.end('early');
    });
  });
  try {
    const client = new RawClient(s.port);
    assert.deepEqual(await client.post(16 * 1024 * 1024), { status: 200, body: 'early' });
    assert.deepEqual(await client.post(16 * 1024 * 1024), { status: 200, body: 'early' });
    client.close();
  } finally {
    await s.close();
  }
});

test('a body that never ends is cut a while after the reply', async () => {
  let serverReq: IncomingMessage | undefined;
  const s = await serve((req, res) => {
    serverReq = req;
    req.once('data', () => {
      req.destroy();
      res.end('refused');
    });
  }, 300);
  try {
    const client = new RawClient(s.port);
    assert.equal((await client.post(Infinity)).body, 'refused');
    const closedBy = Date.now() + 5_000;
    while (!client.destroyed && Date.now() < closedBy) await new Promise((d) => setTimeout(d, 50));
    assert.equal(serverReq?.socket?.destroyed, true, 'the server closed the connection once the drain deadline passed');
    assert.equal(client.destroyed, true);
  } finally {
    await s.close();
  }
});

test('a body read to its end is destroyed as usual', async () => {
  let destroyed = false;
  const s = await serve(async (req, res) => {
    for await (const _ of req as AsyncIterable<Buffer>) void _;
    req.destroy();
    destroyed = req.destroyed;
    res.end('ok');
  });
  try {
    const client = new RawClient(s.port);
    assert.deepEqual(await client.post(256 * 1024), { status: 200, body: 'ok' });
    client.close();
    assert.equal(destroyed, true);
  } finally {
    await s.close();
  }
});
