import { createHash, type Hash } from 'node:crypto';
import { invalidArgument } from '../errors/engine-error.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` of the bytes. */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${sha256Hex(data)}`;
}

export function isSha256Digest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** Throws invalid_argument unless `s` is a canonical `sha256:<64 hex>` digest. */
export function assertSha256Digest(s: string): string {
  if (!DIGEST_RE.test(s)) throw invalidArgument(`invalid digest: ${JSON.stringify(s)}`);
  return s;
}

/** The hex part of a `sha256:` digest (validated). */
export function digestHex(digest: string): string {
  return assertSha256Digest(digest).slice('sha256:'.length);
}

/** Incremental hasher returning `sha256:<hex>`. */
export class Sha256Digester {
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}
