import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * tar-stream decodes PAX records as UTF-8, which corrupts binary xattr values
 * (security.capability). This installs, once, a wrapper around its
 * `decodePax` that keeps the exact bytes of every record under `RAW_PAX`
 * (an enumerable symbol, so tar-stream's merge with global headers keeps it).
 * The decoded string values are unchanged for every other user.
 */
export const RAW_PAX: unique symbol = Symbol.for('berth.tar.rawPax') as never;

export type RawPax = ReadonlyMap<string, Buffer>;

interface HeadersModule {
  decodePax: (buf: Buffer) => Record<string | symbol, unknown>;
  [RAW_PAX]?: true;
}

const require = createRequire(import.meta.url);
const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as HeadersModule;

if (!headers[RAW_PAX]) {
  const original = headers.decodePax;
  headers.decodePax = (buf: Buffer) => {
    const result = original(buf);
    result[RAW_PAX] = decodeRawPax(buf);
    return result;
  };
  headers[RAW_PAX] = true;
}

/** Parses PAX records (`<len> <key>=<value>\n`) keeping values as bytes. */
export function decodeRawPax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number.parseInt(buf.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isInteger(len) || len <= 0 || pos + len > buf.length) break;
    const record = buf.subarray(space + 1, pos + len - 1); // drop the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq !== -1) out.set(record.subarray(0, eq).toString('utf8'), Buffer.from(record.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

/** The raw PAX records of a tar-stream header, if it had any. */
export function rawPaxOf(header: { pax?: unknown }): RawPax | undefined {
  const pax = header.pax as Record<symbol, unknown> | null | undefined;
  if (!pax) return undefined;
  return pax[RAW_PAX] as RawPax | undefined;
}
