import type { Readable } from 'node:stream';

/**
 * Newline-delimited JSON messages read from a pipe or socket (conmon's sync
 * pipes, berth-exec's control socket), handed out one at a time by `next`.
 * `accept` maps a parsed line to a message or drops it (undefined). When the
 * stream ends or a line does not parse, every later `next` rejects.
 */
export class JsonLineQueue<T> {
  private buf = '';
  private readonly queue: T[] = [];
  private waiter: { resolve: (m: T) => void; reject: (e: Error) => void } | undefined;
  private ended: Error | undefined;

  constructor(
    private readonly stream: Readable,
    accept: (value: unknown) => T | undefined,
    opts: { readonly closedMessage: string; readonly sender: string },
  ) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          this.finish(new Error(`unparsable ${opts.sender} message ${JSON.stringify(line)}`));
          continue;
        }
        const m = accept(value);
        if (m !== undefined) this.push(m);
      }
    });
    stream.once('end', () => this.finish(new Error(opts.closedMessage)));
    stream.once('close', () => this.finish(new Error(opts.closedMessage)));
    stream.once('error', (e: Error) => this.finish(e));
  }

  private push(m: T): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(m);
    } else this.queue.push(m);
  }

  private finish(err: Error): void {
    this.ended ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  /** The next message; `timeoutMs` 0 waits forever. */
  next(timeoutMs: number): Promise<T> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift() as T);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.finish(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs) : undefined;
      this.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  destroy(): void {
    this.stream.destroy();
  }
}
