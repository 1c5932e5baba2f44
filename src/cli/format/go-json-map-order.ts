/**
 * Go's encoding/json writes a struct's fields in declaration order but a
 * map's keys sorted (byte order). The CLI only sees JSON, not which objects
 * were structs in Docker, so it tells them apart by their keys: an object
 * whose keys are all exported Go identifiers (`Id`, `HostConfig`, `LowerDir`)
 * is taken for a struct and keeps the daemon's order; any other object
 * (Labels, Options, ExposedPorts `80/tcp`, Networks `bridge`, label keys
 * with dots) is a map and gets its keys sorted. A map whose keys all happen
 * to look like exported identifiers (a label named `Maintainer` alone) keeps
 * its order; that is the rule's known gap.
 */
const EXPORTED_IDENTIFIER = /^[A-Z][A-Za-z0-9_]*$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Go's sort order for map keys: by UTF-8 bytes. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** A copy of `v` with the keys of map-like objects sorted as Go's encoder sorts map keys. */
export function goMapOrder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => goMapOrder(e));
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  const isStruct = keys.length > 0 && keys.every((k) => EXPORTED_IDENTIFIER.test(k));
  const ordered = isStruct ? keys : [...keys].sort(byteOrder);
  const out: Record<string, unknown> = {};
  for (const k of ordered) out[k] = goMapOrder(v[k]);
  return out;
}
