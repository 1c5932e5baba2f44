/** Messages between `hashing-writer.ts` (main thread) and its hashing worker. */
export type HashingWorkerRequest =
  /** A new file whose blocks, each `blockSize` bytes, are in `buffer`. */
  | { op: 'open'; id: number; buffer: SharedArrayBuffer; blockSize: number }
  /** The first `length` bytes of block `block` of file `id` come next; the block is handed back after. */
  | { op: 'data'; id: number; block: number; length: number }
  | { op: 'close'; id: number };

export type HashingWorkerReply =
  | { op: 'hashed'; id: number; block: number }
  | { op: 'digest'; id: number; digest: string }
  | { op: 'failed'; id: number; message: string };
