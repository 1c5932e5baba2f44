import type { Writable } from 'node:stream';
import { once } from 'node:events';

/** Docker's multiplexed stream ids (the first byte of each 8-byte frame header). */
export type StreamId = 0 | 1 | 2 | 3;
export interface Frame {
  stream: StreamId;
  data: Buffer;
}

const HEADER = 8;

/**
 * Incremental parser for Docker's framing: [stream, 0, 0, 0, uint32 BE length] + payload.
 * Feed arbitrary chunks; complete frames come out in order.
 */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER) {
      const stream = this.pending[offset] ?? 0;
      if (stream > 3) throw new Error(`Unrecognized input header: ${stream}`);
      const size = this.pending.readUInt32BE(offset + 4);
      if (this.pending.length - offset - HEADER < size) break;
      frames.push({ stream: stream as StreamId, data: this.pending.subarray(offset + HEADER, offset + HEADER + size) });
      offset += HEADER + size;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get remainder(): number {
    return this.pending.length;
  }
}

/** Encodes one frame (used by tests and fakes). */
export function encodeFrame(stream: StreamId, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const header = Buffer.alloc(HEADER);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function write(out: Writable, data: Buffer): Promise<void> {
  if (!out.write(data)) await once(out, 'drain');
}

/**
 * Copies a multiplexed stream to stdout/stderr with backpressure (docker's stdcopy.StdCopy).
 * A systemerr frame (3) ends the copy with its text as the error.
 */
export async function demuxStream(source: AsyncIterable<Buffer | string>, stdout: Writable, stderr: Writable, head?: Buffer): Promise<void> {
  const parser = new FrameParser();
  const handle = async (chunk: Buffer): Promise<void> => {
    for (const frame of parser.push(chunk)) {
      if (frame.stream === 3) throw new Error(frame.data.toString('utf8'));
      await write(frame.stream === 2 ? stderr : stdout, frame.data);
    }
  };
  if (head && head.length > 0) await handle(head);
  for await (const chunk of source) await handle(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
}

/** Copies a raw (TTY) stream to one writable with backpressure. */
export async function copyRaw(source: AsyncIterable<Buffer | string>, out: Writable, head?: Buffer): Promise<void> {
  if (head && head.length > 0) await write(out, head);
  for await (const chunk of source) await write(out, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
}

