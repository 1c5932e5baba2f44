/** Engine API versions: what we speak by default and the oldest we accept. */
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';

const prefix = /^\/v(\d+\.\d+)(\/.*)$/;

/** Splits `/v1.43/containers/json` into `{version: '1.43', path: '/containers/json'}`. */
export function splitVersionPrefix(path: string): { version: string | undefined; path: string } {
  const m = prefix.exec(path);
  if (m && m[1] !== undefined && m[2] !== undefined) return { version: m[1], path: m[2] };
  return { version: undefined, path };
}

export function compareVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}
