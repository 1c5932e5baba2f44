import { invalidArgument } from '../../errors/engine-error.js';

/** Docker's default detach sequence, ctrl-p ctrl-q. */
export const DEFAULT_DETACH_KEYS = Buffer.from([0x10, 0x11]);

/**
 * Parses docker's detach-keys syntax ("ctrl-p,ctrl-q", "a,ctrl-@"): ctrl-<a-z @ [ \ ] ^ _> or a
 * single character per comma-separated item. Empty means the default.
 */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return DEFAULT_DETACH_KEYS;
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const ctrl = /^ctrl-(.)$/.exec(key);
    if (ctrl?.[1] !== undefined) {
      const ch = ctrl[1];
      const code = ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 96 : ({ '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 } as Record<string, number>)[ch];
      if (code === undefined) throw invalidArgument(`Invalid detach keys (${spec}) provided`);
      out.push(code);
    } else if (key.length === 1) {
      out.push(key.charCodeAt(0));
    } else {
      throw invalidArgument(`Invalid detach keys (${spec}) provided`);
    }
  }
  return Buffer.from(out);
}

/**
 * moby's escape proxy over a stdin byte stream: bytes that could start the
 * detach sequence are held back; a mismatch releases them, a full match
 * means "detach" and is never forwarded.
 */
export class DetachKeyScanner {
  private held = 0;

  constructor(private readonly keys: Buffer) {}

  /** Returns the bytes to forward and whether the sequence was completed (nothing after it is forwarded). */
  feed(chunk: Buffer): { data: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        this.held += 1;
        if (this.held === this.keys.length) return { data: Buffer.from(out), detach: true };
        continue;
      }
      for (let i = 0; i < this.held; i++) out.push(this.keys[i] ?? 0);
      this.held = 0;
      if (byte === this.keys[0]) this.held = 1;
      else out.push(byte);
    }
    return { data: Buffer.from(out), detach: false };
  }
}
