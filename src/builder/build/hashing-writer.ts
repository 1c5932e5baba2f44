/**
 * Writes large files and computes their sha256 off the main thread, so
 * that a build context's big files cost the main thread one copy instead
 * of a hash: the bytes are copied into blocks of a buffer shared with a
 * hashing worker, and each block is hashed there while libuv's thread pool
 * writes it to the descriptor the caller opened.
 *
 * Each open file has its own few blocks (one filling while the others are
 * hashed and written), so memory stays bounded per file (4 MiB), a writer that runs
 * ahead waits only for its own blocks (backpressure), and a slow upload
 * never holds up another build. One worker serves every file; it is started
 * on first use, keeps the process alive only while files are open, and is
 * replaced if it dies (the files it had open then fail).
 */
import { write } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { HashingWorkerReply, HashingWorkerRequest } from './hashing-writer-protocol.js';

const BLOCK_SIZE = 1 << 20;
const BLOCKS_PER_FILE = 4;

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
    this.send({ op: 'open', id, buffer, blockSize: BLOCK_SIZE });
    if (this.writers.size === 0) this.worker?.ref();
    const writer = new FileWriter(this, id, fd, buffer);
    this.writers.set(id, writer);
    return writer;
  }

  send(msg: HashingWorkerRequest): void {
    this.started().postMessage(msg);
  }

  /**
   * The writer settled; its buffer is reused unless a block may still be in
   * use. Never dropped otherwise: the worker rarely collects garbage, so a
   * dropped shared buffer would stay allocated there (the spares are bounded
   * by the most files ever open at once).
   */
  retire(id: number, buffer: SharedArrayBuffer, reusable: boolean): void {
    this.writers.delete(id);
    if (reusable) this.spare.push(buffer);
    if (this.writers.size === 0) this.worker?.unref();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./hashing-writer-worker.js', import.meta.url));
    worker.on('message', (msg: HashingWorkerReply) => this.writers.get(msg.id)?.onReply(msg));
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
  /** Blocks sent and not yet hashed, and not yet written: a block is free again when in neither. */
  private readonly hashing = new Set<number>();
  private readonly writing = new Set<number>();
  private current: number | undefined;
  private fill = 0;
  /** File offset of the next block. */
  private position = 0;
  private waiting: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private digest: { resolve(digest: string): void; reject(err: Error): void } | undefined;
  private failure: Error | undefined;
  private digested = false;

  constructor(
    private readonly owner: HashingWorker,
    private readonly id: number,
    private readonly fd: number,
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
          this.waiting = this.blockReleased().then(() => {
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
    let digest: string | undefined;
    try {
      // always closed, even after a failure: the worker forgets the file, and answers after every block before it
      digest = await new Promise<string>((resolve, reject) => {
        this.digest = { resolve, reject };
        this.owner.send({ op: 'close', id: this.id });
      });
    } catch {
      // the failure is thrown below, once no write can still touch the descriptor
    }
    while (this.writing.size > 0) await this.blockReleased();
    this.owner.retire(this.id, this.buffer, this.hashing.size === 0);
    if (this.failure) throw this.failure;
    return digest as string;
  }

  onReply(msg: HashingWorkerReply): void {
    if (msg.op === 'hashed') {
      if (this.hashing.delete(msg.block)) this.release(msg.block);
    } else if (msg.op === 'digest') {
      this.digested = true;
      this.digest?.resolve(msg.digest);
    } else {
      this.fail(new Error(msg.message));
    }
  }

  onWorkerLost(err: Error): void {
    // a file whose digest already came is complete: only its writes may be pending
    if (!this.digested) this.fail(err);
    for (const block of [...this.hashing]) {
      this.hashing.delete(block);
      this.release(block);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.digest?.reject(err);
  }

  private blockReleased(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private release(block: number): void {
    if (this.hashing.has(block) || this.writing.has(block)) return;
    this.free.push(block);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private sendCurrent(): void {
    const block = this.current as number;
    const length = this.fill;
    this.current = undefined;
    this.fill = 0;
    if (length === 0 || this.failure) {
      this.release(block);
      return;
    }
    this.hashing.add(block);
    this.writing.add(block);
    this.owner.send({ op: 'data', id: this.id, block, length });
    this.writeBlock(block, block * BLOCK_SIZE, length, this.position);
    this.position += length;
  }

  /** Writes at an explicit offset (blocks may be written out of order), resuming after a short write. */
  private writeBlock(block: number, start: number, length: number, position: number): void {
    write(this.fd, this.bytes, start, length, position, (err, written) => {
      if (!err && written < length && written > 0) {
        this.writeBlock(block, start + written, length - written, position + written);
        return;
      }
      if (err || written === 0) this.fail(err ?? new Error('short write'));
      this.writing.delete(block);
      this.release(block);
    });
  }
}

let shared: HashingWorker | undefined;

/** A writer for `fd` (opened for writing, at offset 0) that hashes on the shared worker. */
export function openHashingWriter(fd: number): HashingFileWriter {
  shared ??= new HashingWorker();
  return shared.open(fd);
}
