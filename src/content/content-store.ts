import type { Readable } from 'node:stream';

export interface BlobInfo {
  readonly digest: string; // sha256:<hex>
  readonly size: number;
}

/**
 * Content-addressed blob store (blobs/sha256/<hex> under its root).
 * Lifecycle: ingest streams into a temp file while hashing; the blob becomes
 * visible (rename into place, fsync) only after its size and digest match what
 * was expected. Blobs are immutable; delete removes one. Temp files of an
 * interrupted ingest are removed on failure and swept at open.
 */
export interface ContentStore {
  info(digest: string): Promise<BlobInfo | undefined>;
  readStream(digest: string): Readable;
  readBytes(digest: string): Promise<Buffer>;
  /** Writes `source` as a blob; rejects with invalid_argument if `expected` digest/size do not match. */
  ingest(source: Readable | Buffer, expected?: { digest?: string; size?: number }): Promise<BlobInfo>;
  delete(digest: string): Promise<void>;
  /** Digests of all published blobs (for garbage collection). */
  list(): Promise<string[]>;
  /** Path of a published blob (for zero-copy reads). */
  pathOf(digest: string): string;
}
