/**
 * Reading tar header blocks for the build context reader: ustar (with its
 * name prefix) and GNU base-256 numbers, PAX records for path, linkpath,
 * size and mtime. Malformed fields fail with Go archive/tar's text, which
 * is what dockerd answers.
 */

export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
}

/** PAX / GNU long-name overrides for the entry that follows. */
export interface PaxOverrides {
  path?: string;
  linkpath?: string;
  size?: number;
  mtime?: number;
}

export function isZero(b: Buffer): boolean {
  for (let i = 0; i < 512; i++) if (b[i] !== 0) return false;
  return true;
}

export function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.toString('utf8', 0, z < 0 ? b.length : z);
}

function octal(b: Buffer, start: number, len: number): number {
  // base-256 (GNU) for large values
  if (((b[start] ?? 0) & 0x80) !== 0) {
    let v = (b[start] ?? 0) & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (b[i] ?? 0);
    return v;
  }
  const s = b.toString('latin1', start, start + len).replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error('archive/tar: invalid tar header');
  return parseInt(s, 8);
}

export function parseHeader(b: Buffer): TarHeader {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (b[i] as number);
  if (octal(b, 148, 8) !== sum) throw new Error('archive/tar: invalid tar header');
  let name = cString(b.subarray(0, 100));
  const ustar = b.toString('latin1', 257, 263) === 'ustar\0';
  if (ustar) {
    const prefix = cString(b.subarray(345, 500));
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: octal(b, 100, 8) & 0o7777,
    size: octal(b, 124, 12),
    mtime: octal(b, 136, 12),
    type: String.fromCharCode(b[156] ?? 0),
    linkname: cString(b.subarray(157, 257)),
  };
}

export function parsePax(data: Buffer): PaxOverrides {
  const out: PaxOverrides = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(data.toString('latin1', off, sp));
    if (!Number.isInteger(len) || len <= 0 || off + len > data.length) throw new Error('archive/tar: invalid tar header');
    const rec = data.toString('utf8', sp + 1, off + len - 1);
    off += len;
    const eq = rec.indexOf('=');
    if (eq < 0) continue;
    const key = rec.slice(0, eq);
    const value = rec.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'linkpath') out.linkpath = value;
    else if (key === 'size' && /^\d+$/.test(value)) out.size = Number(value);
    else if (key === 'mtime' && Number.isFinite(Number(value))) out.mtime = Number(value);
  }
  return out;
}
