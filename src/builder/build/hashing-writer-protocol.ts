/** Messages between `hashing-writer.ts` (main thread) and its worker. */
export type HashingWriterRequest =
  /** A file opened for writing at offset 0; `buffer` holds its blocks, each `blockSize` bytes. */
  | { op: 'open'; id: number; fd: number; buffer: SharedArrayBuffer; blockSize: number }
  /** The first `length` bytes of block `block` of file `id` come next; the block is handed back after. */
  | { op: 'data'; id: number; block: number; length: number }
  | { op: 'close'; id: number };

export type HashingWriterReply =
  | { op: 'free'; id: number; block: number }
  | { op: 'done'; id: number; digest: string }
  | { op: 'failed'; id: number; message: string };
