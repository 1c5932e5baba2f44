/** docker's formatter.Ellipsis: at most `max` display runes, the last replaced by "…" when cut. */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (max <= 0) return '';
  if (chars.length <= max) return s;
  if (max === 1) return chars[0] ?? '';
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** stringid.TruncateID: drops an algorithm prefix and keeps 12 hex characters. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.slice(0, 12);
}

/** Go's strconv.Quote for the characters container commands contain. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
