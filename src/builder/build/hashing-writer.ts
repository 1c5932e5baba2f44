/**
 * Writes large files and computes their sha256 on a worker thread, so that
 * a build context's big files cost the main thread one copy instead of a
 * hash: the bytes are copied into blocks of a buffer shared with the
 * worker, which hashes and writes each block to a descriptor the caller
 * opened.
 *
 * Each open file has its own two blocks (one filling while the worker
 * drains the other), so memory stays bounded per file, a writer that runs
 * ahead of the worker waits only for its own blocks (backpressure), and a
 * slow upload never holds up another build. One worker serves every file;
 * it is started on first use, keeps the process alive only while files are
 * open, and is replaced if it dies (the files it had open then fail).
 */
import { Worker } from 'node:worker_threads';
import type { HashingWriterReply, HashingWriterRequest } from './hashing-writer-protocol.js';

const BLOCK_SIZE = 1 << 20;
const BLOCKS_PER_FILE = 2;
/** Buffers of finished files kept for the next ones. */
const MAX_SPARE_BUFFERS = 4;

export interface HashingFileWriter {
  /** Queues a copy of `chunk`; returns a promise only when the caller must wait for room before writing more. */
  write(chunk: Buffer): Promise<void> | undefined;
  /**
   * Resolves with the sha256 (hex) of every byte written once all of them
   * are on the file; rejects with the write error. The descriptor must stay
   * open until this settles.
   */
  finish(): Promise<string>;
}

class HashingWorker {
  private worker: Worker | undefined;
  private readonly writers = new Map<number, FileWriter>();
  private readonly spare: SharedArrayBuffer[] = [];
  private nextId = 1;

  open(fd: number): HashingFileWriter {
    const id = this.nextId++;
    const buffer = this.spare.pop() ?? new SharedArrayBuffer(BLOCK_SIZE * BLOCKS_PER_FILE);
    this.send({ op: 'open', id, fd, buffer, blockSize: BLOCK_SIZE });
    if (this.writers.size === 0) this.worker?.ref();
    const writer = new FileWriter(this, id, buffer);
    this.writers.set(id, writer);
    return writer;
  }

  send(msg: HashingWriterRequest): void {
    this.started().postMessage(msg);
  }

  /** The writer settled; its buffer is reused unless the worker may still hold it. */
  retire(id: number, buffer: SharedArrayBuffer, reusable: boolean): void {
    this.writers.delete(id);
    if (reusable && this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(buffer);
    if (this.writers.size === 0) this.worker?.unref();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./hashing-writer-worker.js', import.meta.url));
    worker.on('message', (msg: HashingWriterReply) => this.writers.get(msg.id)?.onReply(msg));
    const lost = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const w of this.writers.values()) w.onWorkerLost(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the hashing worker exited with code ${code}`)));
    // after the listeners (adding a 'message' listener refs the port again); ref'd only while files are open
    if (this.writers.size === 0) worker.unref();
    this.worker = worker;
    return worker;
  }
}

class FileWriter implements HashingFileWriter {
  private readonly bytes: Buffer;
  private readonly free: number[] = Array.from({ length: BLOCKS_PER_FILE }, (_, i) => i);
  private readonly inFlight = new Set<number>();
  private current: number | undefined;
  private fill = 0;
  private waiting: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private settle: { resolve(digest: string): void; reject(err: Error): void } | undefined;
  private lostWith: Error | undefined;

  constructor(
    private readonly owner: HashingWorker,
    private readonly id: number,
    private readonly buffer: SharedArrayBuffer,
  ) {
    // Node's copy into a Buffer is a plain memcpy; a typed-array `set` into shared memory is several times slower
    this.bytes = Buffer.from(buffer);
  }

  write(chunk: Buffer): Promise<void> | undefined {
    let off = 0;
    while (off < chunk.length) {
      if (this.current === undefined) {
        this.current = this.free.pop();
        if (this.current === undefined) {
          const rest = chunk.subarray(off);
          this.waiting = new Promise<void>((resolve) => (this.wake = resolve)).then(() => {
            this.waiting = undefined;
            return this.write(rest);
          });
          return this.waiting;
        }
        this.fill = 0;
      }
      const n = Math.min(BLOCK_SIZE - this.fill, chunk.length - off);
      chunk.copy(this.bytes, this.current * BLOCK_SIZE + this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === BLOCK_SIZE) this.sendCurrent();
    }
    return undefined;
  }

  async finish(): Promise<string> {
    while (this.waiting) await this.waiting;
    if (this.current !== undefined) this.sendCurrent();
    let reusable = false;
    try {
      const digest = await new Promise<string>((resolve, reject) => {
        this.settle = { resolve, reject };
        if (this.lostWith) reject(this.lostWith);
        else this.owner.send({ op: 'close', id: this.id });
      });
      // the worker answers a close after every block before it: none is still in use
      reusable = true;
      return digest;
    } finally {
      this.owner.retire(this.id, this.buffer, reusable);
    }
  }

  onReply(msg: HashingWriterReply): void {
    if (msg.op === 'free') {
      if (this.inFlight.delete(msg.block)) this.blockFreed(msg.block);
    } else if (msg.op === 'done') {
      this.settle?.resolve(msg.digest);
    } else {
      this.settle?.reject(new Error(msg.message));
    }
  }

  onWorkerLost(err: Error): void {
    this.lostWith ??= err;
    for (const block of this.inFlight) this.blockFreed(block);
    this.inFlight.clear();
    this.settle?.reject(err);
  }

  private blockFreed(block: number): void {
    this.free.push(block);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sendCurrent(): void {
    const block = this.current as number;
    this.current = undefined;
    if (this.fill === 0 || this.lostWith) {
      this.fill = 0;
      this.blockFreed(block);
      return;
    }
    this.inFlight.add(block);
    this.owner.send({ op: 'data', id: this.id, block, length: this.fill });
    this.fill = 0;
  }
}

let shared: HashingWorker | undefined;

/** A writer for `fd` (opened for writing, at offset 0) that hashes on the shared worker. */
export function openHashingWriter(fd: number): HashingFileWriter {
  shared ??= new HashingWorker();
  return shared.open(fd);
}
