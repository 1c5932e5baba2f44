import { goMapOrder } from './go-json-map-order.js';
import { TemplateError, type TemplateFunc } from './go-template-syntax.js';

/** Go's value semantics for templates: truthiness, %v printing, Sprintf, JSON and the function table. */
export interface Scope {
  vars: Array<[string, unknown]>;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map || isPlainObject(v)) return 'map[string]interface {}';
  return `*${(v as object).constructor.name}`;
}

/** Go truthiness: false, 0, nil, and empty strings, slices and maps are false. */
export function truth(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // Go's %v for float64 is the shortest repr, switching to exponent form at 1e21 (strconv 'g' -1).
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) return n.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return String(n);
}

/** Go's fmt %v. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((e) => (e === undefined || e === null ? '<nil>' : formatValue(e))).join(' ')}]`;
  if (v instanceof Map) {
    const keys = [...v.keys()].map(String).sort();
    return `map[${keys.map((k) => `${k}:${formatValue(v.get(k))}`).join(' ')}]`;
  }
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${v[k] === null ? '<nil>' : formatValue(v[k])}`).join(' ')}]`;
  }
  const s = (v as { toString(): string }).toString();
  return s;
}

export function lessThan(a: unknown, b: unknown, name: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
}

export function eqBasic(a: unknown, b: unknown): boolean {
  if ((typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) {
    throw new TemplateError('error calling eq: non-comparable types');
  }
  if (a === undefined || b === undefined) return a === b || (a ?? null) === (b ?? null);
  return a === b;
}

/** Minimal Go Sprintf: %v %s %d %q %x %t %% with width, '-' and '0' flags. */
export function sprintf(format: string, args: unknown[]): string {
  let argi = 0;
  return format.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (argi >= args.length) return `%!${verb}(MISSING)`;
    const arg = args[argi++];
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof arg === 'number' ? String(Math.trunc(arg)) : `%!d(${typeName(arg)}=${formatValue(arg)})`;
        break;
      case 'q':
        s = JSON.stringify(formatValue(arg));
        break;
      case 'x':
        s = typeof arg === 'number' ? arg.toString(16) : Buffer.from(formatValue(arg)).toString('hex');
        break;
      case 'f':
        s = typeof arg === 'number' ? arg.toFixed(prec !== undefined ? Number(prec) : 6) : `%!f(${typeName(arg)}=${formatValue(arg)})`;
        break;
      default:
        s = formatValue(arg);
        if (verb === 's' && prec !== undefined) s = [...s].slice(0, Number(prec)).join('');
    }
    const w = width ? Number(width) : 0;
    const len = [...s].length;
    if (len < w) {
      if (flags.includes('-')) s = s + ' '.repeat(w - len);
      else s = (flags.includes('0') && verb !== 's' ? '0' : ' ').repeat(w - len) + s;
    }
    return s;
  }) + (argi < args.length ? `%!(EXTRA ${args.slice(argi).map((a) => `${typeName(a)}=${formatValue(a)}`).join(', ')})` : '');
}

/** Go's fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** JSON as Go's encoder writes it; escapeHtml mirrors json.Marshal's <, >, & escaping. */
export function goJson(v: unknown, escapeHtml = false): string {
  let s = JSON.stringify(v === undefined ? null : v) ?? 'null';
  s = s.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  if (escapeHtml) s = s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  return s;
}

export function toStringArray(v: unknown, fn: string): string[] {
  if (Array.isArray(v)) return v.map((e) => formatValue(e));
  if (v === null || v === undefined) return [];
  throw new TemplateError(`error calling ${fn}: wrong type for value; expected []string; got ${typeName(v)}`);
}

export const DEFAULT_FUNCS: Record<string, TemplateFunc> = {
  // Go builtins
  and: (...args) => {
    for (const a of args) if (!truth(a)) return a;
    return args[args.length - 1];
  },
  or: (...args) => {
    for (const a of args) if (truth(a)) return a;
    return args[args.length - 1];
  },
  not: (a) => !truth(a),
  len: (a) => {
    if (typeof a === 'string') return Buffer.byteLength(a);
    if (Array.isArray(a)) return a.length;
    if (a instanceof Map) return a.size;
    if (isPlainObject(a)) return Object.keys(a).length;
    throw new TemplateError(`error calling len: len of type ${typeName(a)}`);
  },
  index: (item, ...keys) => {
    let v: unknown = item;
    for (const k of keys) {
      if (Array.isArray(v) && typeof k === 'number') {
        if (k < 0 || k >= v.length) throw new TemplateError(`error calling index: index out of range: ${k}`);
        v = v[k];
      } else if (v instanceof Map) v = v.has(k) ? v.get(k) : '';
      else if (isPlainObject(v)) v = Object.prototype.hasOwnProperty.call(v, String(k)) ? v[String(k)] : '';
      else if (v === null || v === undefined) v = '';
      else throw new TemplateError(`error calling index: can't index item of type ${typeName(v)}`);
    }
    return v;
  },
  eq: (a, ...rest) => {
    if (rest.length === 0) throw new TemplateError('error calling eq: missing argument for comparison');
    return rest.some((b) => eqBasic(a, b));
  },
  ne: (a, b) => !eqBasic(a, b),
  lt: (a, b) => lessThan(a, b, 'lt'),
  le: (a, b) => lessThan(a, b, 'le') || eqBasic(a, b),
  gt: (a, b) => !lessThan(a, b, 'gt') && !eqBasic(a, b),
  ge: (a, b) => !lessThan(a, b, 'ge'),
  print: (...args) => sprint(args),
  printf: (format, ...args) => sprintf(formatValue(format), args),
  println: (...args) => `${args.map(formatValue).join(' ')}\n`,
  slice: (item, ...idx) => {
    const nums = idx.map(Number);
    if (typeof item === 'string') return item.slice(nums[0] ?? 0, nums[1]);
    if (Array.isArray(item)) return item.slice(nums[0] ?? 0, nums[1]);
    throw new TemplateError(`error calling slice: can't slice item of type ${typeName(item)}`);
  },
  urlquery: (...args) => encodeURIComponent(sprint(args)),
  // docker's template functions (cli/templates)
  json: (v) => {
    // Row types marshal themselves (docker's MarshalJSON on its format contexts).
    if (v !== null && typeof v === 'object' && typeof (v as { goJson?: unknown }).goJson === 'function') return (v as { goJson(): string }).goJson();
    return goJson(goMapOrder(v));
  },
  split: (s, sep) => formatValue(s).split(formatValue(sep)),
  join: (a, sep) => toStringArray(a, 'join').join(formatValue(sep)),
  title: (s) => formatValue(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, pre: string, c: string) => pre + c.toUpperCase()),
  lower: (s) => formatValue(s).toLowerCase(),
  upper: (s) => formatValue(s).toUpperCase(),
  pad: (s, before, after) => `${' '.repeat(Number(before))}${formatValue(s)}${' '.repeat(Number(after))}`,
  truncate: (s, n) => {
    const chars = [...formatValue(s)];
    const len = Number(n);
    return chars.length > len ? chars.slice(0, len).join('') : chars.join('');
  },
};
