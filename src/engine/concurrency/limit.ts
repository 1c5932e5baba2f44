import { EngineError } from '../../errors/engine-error.js';

/**
 * A counting semaphore for expensive operations (image load, import, build,
 * pull, push): at most `limit` run at once, the rest wait in FIFO order. A waiter
 * whose request is aborted (client gone) leaves the queue without taking a
 * slot, so clients that give up cost nothing; cheap requests never wait.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` once a slot is free; rejects with the abort reason if `signal` aborts first. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new EngineError('invalid_argument', 'request aborted'));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new EngineError('invalid_argument', 'request aborted while waiting for a free slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

/**
 * The daemon-wide limit for expensive image operations:
 * BERTH_MAX_CONCURRENT_IMAGE_OPS (default 3, like Docker's max-concurrent-downloads).
 */
export const imageOperations = new ConcurrencyLimit(
  ((v) => (Number.isInteger(v) && v > 0 ? v : 3))(Number(process.env.BERTH_MAX_CONCURRENT_IMAGE_OPS)),
);
