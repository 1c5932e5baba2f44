/** Messages between `hashing-writer.ts` (main thread) and its worker. */
export type HashingWriterRequest =
  | { op: 'open'; id: number; fd: number }
  /** `length` bytes at `offset` of the shared buffer belong to file `id`; `block` goes back to the pool after. */
  | { op: 'data'; id: number; block: number; offset: number; length: number }
  | { op: 'close'; id: number };

export type HashingWriterReply =
  | { op: 'free'; block: number }
  | { op: 'done'; id: number; digest: string }
  | { op: 'failed'; id: number; message: string };
