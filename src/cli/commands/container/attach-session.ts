import type { Duplex } from 'node:stream';
import { copyRaw, demuxStream } from '../../../client/stream-frames.js';
import type { CliContext } from '../../cli-context.js';
import { detachKeyBytes, detachScanner } from './detach-keys.js';

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** A live attach: `output` settles when the container's output ends; `close` tears everything down. */
export interface AttachSession {
  output: Promise<void>;
  /** True once the user typed the detach keys (the container keeps running). */
  readonly detached: boolean;
  close(): void;
}

/**
 * Attaches to a container over a hijacked connection (before start, so no output is missed).
 * Output is demultiplexed unless the container has a TTY; stdin is forwarded and half-closed at its end.
 */
export async function attachContainer(ctx: CliContext, id: string, streams: AttachStreams, options: { detachKeys?: string } = {}): Promise<AttachSession> {
  const conn = await ctx.client().containers.attach(id, {
    stdin: streams.stdin,
    stdout: streams.stdout,
    stderr: streams.stderr,
    ...(options.detachKeys ? { detachKeys: options.detachKeys } : {}),
  });
  const socket: Duplex = conn.socket;
  let rawMode = false;
  let detached = false;
  const restore = (): void => {
    if (rawMode) ctx.stdin.setRawMode?.(false);
    rawMode = false;
  };
  if (streams.stdin) {
    if (streams.tty && ctx.stdin.isTTY && ctx.stdin.setRawMode) {
      ctx.stdin.setRawMode(true);
      rawMode = true;
    }
    const scan = detachScanner(detachKeyBytes(options.detachKeys));
    ctx.stdin.on('data', (raw: Buffer) => {
      const { data: chunk, detach } = streams.tty ? scan(raw) : { data: raw, detach: false };
      if (detach) {
        detached = true;
        restore();
        ctx.stdin.pause();
        socket.destroy();
        return;
      }
      if (chunk.length > 0 && !socket.write(chunk)) {
        ctx.stdin.pause();
        socket.once('drain', () => ctx.stdin.resume());
      }
    });
    ctx.stdin.once('end', () => socket.end());
    ctx.stdin.on('error', () => socket.end());
  }
  const output = (async (): Promise<void> => {
    try {
      if (streams.tty) await copyRaw(socket, ctx.stdout, conn.head);
      else await demuxStream(socket, ctx.stdout, ctx.stderr, conn.head);
    } catch (err) {
      // The daemon closing the connection abruptly at container exit is a normal end.
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET' && !detached) throw err;
    } finally {
      restore();
      if (streams.stdin) ctx.stdin.pause();
    }
  })();
  return {
    output,
    get detached() {
      return detached;
    },
    close() {
      restore();
      socket.destroy();
      if (streams.stdin) ctx.stdin.pause();
    },
  };
}

/** Sizes the container's TTY to the terminal, as docker does right after start. */
export async function resizeToTerminal(ctx: CliContext, id: string): Promise<void> {
  const { columns, rows } = ctx.stdout;
  if (!ctx.stdout.isTTY || !columns || !rows) return;
  try {
    await ctx.client().containers.resize(id, { height: rows, width: columns });
  } catch {
    // Resizing is best effort, as in docker (it only logs at debug level).
  }
}
