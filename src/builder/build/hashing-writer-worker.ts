/**
 * Worker side of `hashing-writer.ts`: appends blocks of each file's shared
 * buffer to the descriptor the main thread opened, hashing the bytes in
 * order. Messages from one port arrive in order, so a file's blocks are
 * hashed and written in the order they were sent.
 */
import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { HashingWriterReply, HashingWriterRequest } from './hashing-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('hashing-writer-worker must run in a worker thread');
const files = new Map<number, { fd: number; bytes: Uint8Array; blockSize: number; hash: Hash; error?: string }>();

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

port.on('message', (msg: HashingWriterRequest) => {
  switch (msg.op) {
    case 'open':
      files.set(msg.id, { fd: msg.fd, bytes: new Uint8Array(msg.buffer), blockSize: msg.blockSize, hash: createHash('sha256') });
      return;
    case 'data': {
      const f = files.get(msg.id);
      // a file this worker never saw (its predecessor died) only gets its block back; its close fails
      if (f && f.error === undefined) {
        const start = msg.block * f.blockSize;
        const bytes = f.bytes.subarray(start, start + msg.length);
        try {
          f.hash.update(bytes);
          writeAll(f.fd, bytes);
        } catch (err) {
          f.error = (err as Error).message;
        }
      }
      port.postMessage({ op: 'free', id: msg.id, block: msg.block } satisfies HashingWriterReply);
      return;
    }
    case 'close': {
      const f = files.get(msg.id);
      files.delete(msg.id);
      const reply: HashingWriterReply =
        f === undefined ? { op: 'failed', id: msg.id, message: 'the hashing worker was restarted' } : f.error !== undefined ? { op: 'failed', id: msg.id, message: f.error } : { op: 'done', id: msg.id, digest: f.hash.digest('hex') };
      port.postMessage(reply);
      return;
    }
  }
});
