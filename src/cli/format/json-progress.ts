import type { Writable } from 'node:stream';
import { readJsonLines, type JsonMessage } from '../../client/json-lines.js';

/** A failure reported inside a JSON progress stream; docker prints its text as is. */
export class StreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamError';
  }
}

/**
 * Prints a JSON message stream the way docker's jsonmessage does without cursor control:
 * "id: status" lines and `stream` text; per-byte progress updates are skipped.
 */
export async function displayJsonMessages(source: AsyncIterable<Buffer | string>, out: Writable, onAux?: (aux: unknown) => void): Promise<void> {
  for await (const msg of readJsonLines<JsonMessage>(source)) {
    if (msg.error || msg.errorDetail?.message) throw new StreamError(msg.errorDetail?.message ?? msg.error ?? 'unknown error');
    if (msg.aux !== undefined) {
      onAux?.(msg.aux);
      continue;
    }
    if (msg.progressDetail && msg.progressDetail.current !== undefined) continue;
    if (msg.stream !== undefined) {
      out.write(msg.stream);
      continue;
    }
    if (msg.status === undefined) continue;
    out.write(`${msg.id ? `${msg.id}: ` : ''}${msg.status}\n`);
  }
}
