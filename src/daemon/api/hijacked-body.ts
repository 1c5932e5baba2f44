import type { IncomingHttpHeaders } from 'node:http';

/**
 * The request body of a hijacked request is not stream input. docker-modem
 * sends its options as a JSON body with `attach` (and `exec start`) in the
 * same write as the headers; dockerd's hijack drops what Go's server read
 * with the headers, so that body never reaches the container's stdin.
 * Berth drops exactly the declared body instead of "whatever came along":
 * all Content-Length bytes, however they arrive, or a chunked body that is
 * complete in the bytes that came with the headers (an unterminated chunked
 * body is a client writing raw stdin after it, as docker-modem does with
 * `openStdin`).
 */
export class HijackedBody {
  private remaining: number;
  private readonly chunked: boolean;
  /** The body's bytes (for exec start, which reads its options from it); complete once `complete` is true. */
  private readonly parts: Buffer[] = [];

  constructor(headers: IncomingHttpHeaders, head: Buffer | undefined) {
    const chunked = /\bchunked\b/i.test(String(headers['transfer-encoding'] ?? ''));
    if (chunked) {
      const parsed = head ? parseChunkedBody(head) : undefined;
      this.remaining = parsed?.consumed ?? 0;
      if (parsed) this.parts.push(parsed.payload);
      this.chunked = true;
    } else {
      const length = Number(headers['content-length'] ?? 0);
      this.remaining = Number.isSafeInteger(length) && length > 0 ? length : 0;
      this.chunked = false;
    }
  }

  /** True once the whole body went by (at once when there is none). */
  get complete(): boolean {
    return this.remaining === 0;
  }

  /** The body's bytes once `complete`. */
  payload(): Buffer {
    return Buffer.concat(this.parts);
  }

  /** Takes the body's bytes off the front of `chunk`; returns what follows them (stream input). */
  strip(chunk: Buffer): Buffer {
    if (this.remaining === 0) return chunk;
    const take = Math.min(this.remaining, chunk.length);
    if (!this.chunked) this.parts.push(chunk.subarray(0, take));
    this.remaining -= take;
    return chunk.subarray(take);
  }
}

/** A complete chunked body at the start of `buf`: its encoded length and decoded payload; undefined if incomplete or not chunked framing. */
export function parseChunkedBody(buf: Buffer): { consumed: number; payload: Buffer } | undefined {
  const parts: Buffer[] = [];
  let off = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', off);
    if (eol < 0) return undefined;
    const sizeLine = buf.subarray(off, eol).toString('latin1');
    const m = /^([0-9a-fA-F]{1,8})(?:;[^\r\n]*)?$/.exec(sizeLine);
    if (!m?.[1]) return undefined;
    const size = Number.parseInt(m[1], 16);
    off = eol + 2;
    if (size === 0) break;
    if (buf.length < off + size + 2) return undefined;
    if (buf[off + size] !== 0x0d || buf[off + size + 1] !== 0x0a) return undefined;
    parts.push(buf.subarray(off, off + size));
    off += size + 2;
  }
  // Trailer fields, then the empty line.
  for (;;) {
    const eol = buf.indexOf('\r\n', off);
    if (eol < 0) return undefined;
    const empty = eol === off;
    off = eol + 2;
    if (empty) return { consumed: off, payload: Buffer.concat(parts) };
  }
}
