const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's `%.{p}g`: p significant digits, exponent form when exp < -4 or exp >= p, trailing zeros dropped. */
export function formatG(x: number, precision: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const p = Math.max(1, precision);
  const [mant = '0', expStr = '0'] = x.toExponential(p - 1).split('e');
  const exp = Number(expStr);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= p) {
    const sign = exp < 0 ? '-' : '+';
    return `${trim(mant)}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return trim(x.toFixed(Math.max(0, p - 1 - exp)));
}

function scale(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i] ?? ''];
}

/** go-units HumanSizeWithPrecision: decimal units ("4.26MB", "1.2kB", "999B"); docker's tables use precision 3. */
export function humanSize(bytes: number, precision = 3): string {
  const [size, unit] = scale(bytes, 1000, DECIMAL_UNITS);
  return `${formatG(size, precision)}${unit}`;
}

/** go-units BytesSize: binary units with 4 significant digits ("15.52GiB"). */
export function bytesSize(bytes: number): string {
  const [size, unit] = scale(bytes, 1024, BINARY_UNITS);
  return `${formatG(size, 4)}${unit}`;
}
