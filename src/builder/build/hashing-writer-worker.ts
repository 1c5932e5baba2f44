/**
 * Worker side of `hashing-writer.ts`: appends blocks of a shared buffer to
 * file descriptors the main thread opened, hashing each file's bytes in
 * order. Messages from one port arrive in order, so a file's blocks are
 * hashed and written in the order they were sent.
 */
import { createHash, type Hash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { HashingWriterReply, HashingWriterRequest } from './hashing-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('hashing-writer-worker must run in a worker thread');
const shared = new Uint8Array((workerData as { buffer: SharedArrayBuffer }).buffer);
const files = new Map<number, { fd: number; hash: Hash; error?: string }>();

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

port.on('message', (msg: HashingWriterRequest) => {
  switch (msg.op) {
    case 'open':
      files.set(msg.id, { fd: msg.fd, hash: createHash('sha256') });
      return;
    case 'data': {
      const f = files.get(msg.id);
      const bytes = shared.subarray(msg.offset, msg.offset + msg.length);
      if (f && f.error === undefined) {
        try {
          f.hash.update(bytes);
          writeAll(f.fd, bytes);
        } catch (err) {
          f.error = (err as Error).message;
        }
      }
      port.postMessage({ op: 'free', block: msg.block } satisfies HashingWriterReply);
      return;
    }
    case 'close': {
      const f = files.get(msg.id);
      files.delete(msg.id);
      const reply: HashingWriterReply =
        f === undefined ? { op: 'failed', id: msg.id, message: 'unknown file' } : f.error !== undefined ? { op: 'failed', id: msg.id, message: f.error } : { op: 'done', id: msg.id, digest: f.hash.digest('hex') };
      port.postMessage(reply);
      return;
    }
  }
});
