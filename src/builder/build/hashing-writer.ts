/**
 * Writes large files and computes their sha256 on a worker thread, so that
 * a build context's big files cost the main thread one copy instead of a
 * hash: the bytes are copied into blocks of a shared buffer, and the worker
 * hashes and writes each block to a file descriptor the caller opened.
 *
 * The pool of blocks is fixed, so memory stays bounded and a writer that
 * runs ahead of the worker waits for a block (backpressure). One worker
 * serves every writer; it is started on first use, never keeps the process
 * alive, and is replaced if it dies (the files it had open then fail).
 */
import { Worker } from 'node:worker_threads';
import type { HashingWriterReply, HashingWriterRequest } from './hashing-writer-protocol.js';

const BLOCK_SIZE = 1 << 20;
const BLOCK_COUNT = 8;

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

interface Finish {
  resolve(digest: string): void;
  reject(err: Error): void;
}

class HashingWriterPool {
  private worker: Worker | undefined;
  private readonly shared = new SharedArrayBuffer(BLOCK_SIZE * BLOCK_COUNT);
  /** Node's copy is a plain memcpy; a typed-array `set` into shared memory is several times slower. */
  readonly bytes = Buffer.from(this.shared);
  private readonly free: number[] = Array.from({ length: BLOCK_COUNT }, (_, i) => i);
  private readonly inFlight = new Set<number>();
  private readonly blockWaiters: (() => void)[] = [];
  private readonly finishing = new Map<number, Finish>();
  private nextId = 1;
  /** Files opened and not yet finished: while there are any, the worker keeps the process alive. */
  private openFiles = 0;

  open(fd: number): HashingFileWriter {
    const id = this.nextId++;
    this.send({ op: 'open', id, fd });
    if (this.openFiles++ === 0) this.worker?.ref();
    return new PooledWriter(this, id);
  }

  tryAcquire(): number | undefined {
    return this.free.pop();
  }

  /** Resolves when a block may be free (the caller tries again). */
  waitForBlock(): Promise<void> {
    return new Promise((resolve) => this.blockWaiters.push(resolve));
  }

  release(block: number): void {
    this.free.push(block);
    this.blockWaiters.shift()?.();
  }

  sendBlock(id: number, block: number, length: number): void {
    this.inFlight.add(block);
    this.send({ op: 'data', id, block, offset: block * BLOCK_SIZE, length });
  }

  async close(id: number): Promise<string> {
    try {
      return await new Promise<string>((resolve, reject) => {
        this.finishing.set(id, { resolve, reject });
        this.send({ op: 'close', id });
      });
    } finally {
      if (--this.openFiles === 0) this.worker?.unref();
    }
  }

  private send(msg: HashingWriterRequest): void {
    this.started().postMessage(msg);
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./hashing-writer-worker.js', import.meta.url), { workerData: { buffer: this.shared } });
    worker.on('message', (msg: HashingWriterReply) => this.onReply(msg));
    const lost = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const block of this.inFlight) this.release(block);
      this.inFlight.clear();
      for (const f of this.finishing.values()) f.reject(err);
      this.finishing.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`the hashing worker exited with code ${code}`)));
    // after the listeners (adding a 'message' listener refs the port again); ref'd only while files are open
    if (this.openFiles === 0) worker.unref();
    this.worker = worker;
    return worker;
  }

  private onReply(msg: HashingWriterReply): void {
    if (msg.op === 'free') {
      if (this.inFlight.delete(msg.block)) this.release(msg.block);
      return;
    }
    const f = this.finishing.get(msg.id);
    this.finishing.delete(msg.id);
    if (msg.op === 'done') f?.resolve(msg.digest);
    else f?.reject(new Error(msg.message));
  }
}

class PooledWriter implements HashingFileWriter {
  private block: number | undefined;
  private fill = 0;
  private waiting: Promise<void> | undefined;

  constructor(
    private readonly pool: HashingWriterPool,
    private readonly id: number,
  ) {}

  write(chunk: Buffer): Promise<void> | undefined {
    let off = 0;
    while (off < chunk.length) {
      if (this.block === undefined) {
        this.block = this.pool.tryAcquire();
        if (this.block === undefined) {
          const rest = chunk.subarray(off);
          this.waiting = this.pool.waitForBlock().then(() => {
            this.waiting = undefined;
            return this.write(rest);
          });
          return this.waiting;
        }
        this.fill = 0;
      }
      const n = Math.min(BLOCK_SIZE - this.fill, chunk.length - off);
      chunk.copy(this.pool.bytes, this.block * BLOCK_SIZE + this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === BLOCK_SIZE) this.sendBlock();
    }
    return undefined;
  }

  async finish(): Promise<string> {
    while (this.waiting) await this.waiting;
    if (this.block !== undefined) this.sendBlock();
    return this.pool.close(this.id);
  }

  private sendBlock(): void {
    const block = this.block as number;
    this.block = undefined;
    if (this.fill > 0) this.pool.sendBlock(this.id, block, this.fill);
    else this.pool.release(block);
    this.fill = 0;
  }
}

let pool: HashingWriterPool | undefined;

/** A writer for `fd` (opened for writing, at offset 0) that hashes on the shared worker. */
export function openHashingWriter(fd: number): HashingFileWriter {
  pool ??= new HashingWriterPool();
  return pool.open(fd);
}
