/**
 * The client side of docker's detach keys (its term.EscapeProxy): the CLI
 * stops forwarding stdin at the sequence and ends the session itself; the
 * daemon does the same for clients that do not.
 */
export function detachKeyBytes(spec: string | undefined): Buffer {
  if (spec === undefined || spec === '') return Buffer.from([0x10, 0x11]);
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const ctrl = /^ctrl-(.)$/.exec(key);
    const ch = ctrl?.[1];
    if (ch !== undefined) {
      const code = ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 96 : ({ '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 } as Record<string, number>)[ch];
      if (code === undefined) throw new Error(`Invalid detach keys (${spec}) provided`);
      out.push(code);
    } else if (key.length === 1) out.push(key.charCodeAt(0));
    else throw new Error(`Invalid detach keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/** Holds back a possible start of the sequence; returns what to forward and whether it completed. */
export function detachScanner(keys: Buffer): (chunk: Buffer) => { data: Buffer; detach: boolean } {
  let held = 0;
  return (chunk) => {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === keys[held]) {
        held += 1;
        if (held === keys.length) return { data: Buffer.from(out), detach: true };
        continue;
      }
      for (let i = 0; i < held; i++) out.push(keys[i] ?? 0);
      held = byte === keys[0] ? 1 : 0;
      if (held === 0) out.push(byte);
    }
    return { data: Buffer.from(out), detach: false };
  };
}
