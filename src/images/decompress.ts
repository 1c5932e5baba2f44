import { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { invalidArgument } from '../errors/engine-error.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/**
 * Returns the first `n` bytes of `source` (fewer at its end) and a stream
 * that replays them followed by the rest. The bytes are read in paused mode
 * and put back with `unshift`, so the returned stream is normally `source`
 * itself and the rest flows with no extra stage per chunk. Destroying the
 * returned stream destroys `source`.
 */
export async function peek(source: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  let ended = source.readableEnded;
  const onEnd = (): void => {
    ended = true;
  };
  source.once('end', onEnd);
  try {
    while (have < n && !ended) {
      const chunk = source.read() as Buffer | Uint8Array | null;
      if (chunk !== null) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        chunks.push(buf);
        have += buf.length;
        continue;
      }
      await nextReadable(source);
    }
  } finally {
    source.off('end', onEnd);
  }
  const head = Buffer.concat(chunks);
  if (ended) {
    // the whole stream fit in the head and its end was already emitted: replay it from a fresh stream
    const replay = Readable.from(head.length > 0 ? [head] : [], { objectMode: false });
    replay.on('close', () => source.destroy());
    return { head: head.subarray(0, n), stream: replay };
  }
  if (head.length > 0) source.unshift(head);
  return { head: head.subarray(0, n), stream: source };
}

/** Resolves at the stream's next 'readable' or 'end'; rejects on its error or a close before its end. */
function nextReadable(source: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (source.destroyed) {
      reject(source.errored ?? new Error('premature close'));
      return;
    }
    const done = (): void => {
      cleanup();
      resolve();
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const closed = (): void => fail(source.errored ?? new Error('premature close'));
    const cleanup = (): void => {
      source.off('readable', done);
      source.off('end', done);
      source.off('error', fail);
      source.off('close', closed);
    };
    source.on('readable', done);
    source.on('end', done);
    source.on('error', fail);
    source.on('close', closed);
  });
}

type ZlibWithZstd = typeof zlib & { createZstdDecompress?: () => NodeJS.ReadWriteStream };

/** The uncompressed bytes of a possibly gzip/zstd-compressed stream. */
export async function decompressStream(source: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream } = await peek(source, 6);
  const compression = detectCompression(head);
  switch (compression) {
    case 'none':
      return { stream, compression };
    case 'gzip':
      // big output chunks: zlib's 16 KiB default costs a thread-pool round trip per chunk
      return { stream: chain(stream, zlib.createGunzip({ chunkSize: 256 * 1024 })), compression };
    case 'zstd': {
      const create = (zlib as ZlibWithZstd).createZstdDecompress;
      if (typeof create !== 'function') {
        stream.destroy();
        throw invalidArgument(`zstd-compressed layers are not supported: this Node.js ${process.version} has no zstd in node:zlib`);
      }
      return { stream: chain(stream, create() as unknown as NodeJS.ReadWriteStream & Readable), compression };
    }
    default:
      stream.destroy();
      throw invalidArgument(`unsupported compression: ${compression}`);
  }
}

/**
 * Upper bound on the bytes one compressed stream may expand to (a gzip of
 * zeros expands ~1000×): BERTH_MAX_DECOMPRESSED_BYTES, default 64 GiB.
 */
export function maxDecompressedBytes(): number {
  const v = Number(process.env.BERTH_MAX_DECOMPRESSED_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : 64 * 1024 ** 3;
}

function chain(source: Readable, transform: NodeJS.ReadWriteStream): Readable {
  const inflater = transform as unknown as Readable;
  const limit = maxDecompressedBytes();
  let total = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      if (total > limit) cb(invalidArgument(`decompressed archive exceeds the limit of ${limit} bytes (BERTH_MAX_DECOMPRESSED_BYTES); refusing a possible decompression bomb`));
      else cb(null, chunk);
    },
  });
  source.on('error', (err) => out.destroy(err));
  inflater.on('error', (err) => out.destroy(err));
  out.on('close', () => {
    inflater.destroy();
    source.destroy();
  });
  source.pipe(transform);
  inflater.pipe(out);
  return out;
}
