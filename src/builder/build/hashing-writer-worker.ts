/**
 * Worker side of `hashing-writer.ts`: hashes each file's blocks, in the
 * order they are sent (messages from one port arrive in order), and hands
 * every block back once its bytes are in the hash.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { HashingWorkerReply, HashingWorkerRequest } from './hashing-writer-protocol.js';

const port = parentPort;
if (!port) throw new Error('hashing-writer-worker must run in a worker thread');
const files = new Map<number, { bytes: Uint8Array; blockSize: number; hash: Hash }>();

port.on('message', (msg: HashingWorkerRequest) => {
  switch (msg.op) {
    case 'open':
      files.set(msg.id, { bytes: new Uint8Array(msg.buffer), blockSize: msg.blockSize, hash: createHash('sha256') });
      return;
    case 'data': {
      // a file this worker never saw (its predecessor died) only gets its block back; its close fails
      const f = files.get(msg.id);
      if (f) f.hash.update(f.bytes.subarray(msg.block * f.blockSize, msg.block * f.blockSize + msg.length));
      port.postMessage({ op: 'hashed', id: msg.id, block: msg.block } satisfies HashingWorkerReply);
      return;
    }
    case 'close': {
      const f = files.get(msg.id);
      files.delete(msg.id);
      const reply: HashingWorkerReply = f ? { op: 'digest', id: msg.id, digest: f.hash.digest('hex') } : { op: 'failed', id: msg.id, message: 'the hashing worker was restarted' };
      port.postMessage(reply);
      return;
    }
  }
});
