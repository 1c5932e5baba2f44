import { goMapOrder } from './go-json-map-order.js';

/**
 * The subset of Go's text/template that docker users write in --format:
 * fields and chains, variables, pipelines, parentheses, if/else if/else, range (with $i, $v and else),
 * with, trim markers, comments, Go's builtins (and, or, not, len, index, eq…, print, printf, println)
 * and docker's extras (json, join, split, lower, upper, title, pad, truncate).
 * Values print the way Go's fmt %v prints them.
 */

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type TemplateFunc = (...args: unknown[]) => unknown;

type TokenType = 'field' | 'var' | 'ident' | 'string' | 'number' | 'bool' | 'nil' | 'dot' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma';
interface Token {
  type: TokenType;
  value: string;
  pos: number;
  /** True when whitespace separates this token from the previous one. */
  spaced: boolean;
}

type Node =
  | { kind: 'field'; names: string[]; pos: number }
  | { kind: 'var'; name: string; names: string[]; pos: number }
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'dot'; pos: number }
  | { kind: 'literal'; value: unknown; pos: number }
  | { kind: 'chain'; node: Node; names: string[]; pos: number }
  | { kind: 'pipeline'; pipe: Pipeline; pos: number };

interface Command {
  args: Node[];
  pos: number;
}
interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
  pos: number;
}

type ListItem =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipeline; list: ListItem[]; elseList: ListItem[] | undefined };

interface ActionSource {
  tokens: Token[];
  pos: number;
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') line++;
  return line;
}

function lineCol(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const lastNl = before.lastIndexOf('\n');
  return `${lineOf(src, pos)}:${pos - lastNl - 1}`;
}

/** Splits the source into text and tokenized actions, applying `{{-` / `-}}` trimming. */
function lex(src: string): Array<{ text: string } | ActionSource> {
  const out: Array<{ text: string } | ActionSource> = [];
  let i = 0;
  let trimNextText = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNextText) text = text.replace(/^\s+/, '');
    trimNextText = false;
    if (open < 0) {
      if (text) out.push({ text });
      break;
    }
    let p = open + 2;
    const ws = src[p + 1];
    if (src[p] === '-' && (ws === ' ' || ws === '\t' || ws === '\n' || ws === '\r')) {
      text = text.replace(/\s+$/, '');
      p += 1;
    }
    if (text) out.push({ text });
    const tokens: Token[] = [];
    let spaced = false;
    let closed = false;
    while (p < src.length) {
      const c = src[p] ?? '';
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        spaced = true;
        p++;
        continue;
      }
      if (c === '-' && src.startsWith('}}', p + 1) && spaced) {
        trimNextText = true;
        p += 3;
        closed = true;
        break;
      }
      if (src.startsWith('}}', p)) {
        p += 2;
        closed = true;
        break;
      }
      if (src.startsWith('/*', p)) {
        const end = src.indexOf('*/', p + 2);
        if (end < 0) throw new TemplateError(`template: :${lineOf(src, p)}: unclosed comment`);
        p = end + 2;
        spaced = true;
        continue;
      }
      const start = p;
      const push = (type: TokenType, value: string): void => {
        tokens.push({ type, value, pos: start, spaced });
        spaced = false;
      };
      if (c === '"') {
        let j = p + 1;
        let s = '';
        while (j < src.length && src[j] !== '"') {
          if (src[j] === '\n') throw new TemplateError(`template: :${lineOf(src, p)}: unterminated quoted string`);
          if (src[j] === '\\') {
            const e = src[j + 1];
            const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
            if (e !== undefined && map[e] !== undefined) s += map[e];
            else if (e === 'x' || e === 'u') {
              const len = e === 'x' ? 2 : 4;
              s += String.fromCodePoint(parseInt(src.slice(j + 2, j + 2 + len), 16));
              j += len;
            } else s += e ?? '';
            j += 2;
          } else {
            s += src[j];
            j++;
          }
        }
        if (j >= src.length) throw new TemplateError(`template: :${lineOf(src, p)}: unterminated quoted string`);
        p = j + 1;
        push('string', s);
      } else if (c === '`') {
        const end = src.indexOf('`', p + 1);
        if (end < 0) throw new TemplateError(`template: :${lineOf(src, p)}: unterminated raw quoted string`);
        push('string', src.slice(p + 1, end));
        p = end + 1;
      } else if (c === '|') {
        p++;
        push('pipe', '|');
      } else if (c === '(') {
        p++;
        push('lparen', '(');
      } else if (c === ')') {
        p++;
        push('rparen', ')');
      } else if (c === ',') {
        p++;
        push('comma', ',');
      } else if (c === ':' && src[p + 1] === '=') {
        p += 2;
        push('declare', ':=');
      } else if (c === '=') {
        p++;
        push('assign', '=');
      } else if (c === '.' || c === '$') {
        const m = /^[.$][A-Za-z0-9_]*/.exec(src.slice(p));
        const word = m?.[0] ?? c;
        p += word.length;
        if (c === '$') push('var', word);
        else if (word === '.') push('dot', '.');
        else if (/^\.[0-9]/.test(word)) push('number', word);
        else push('field', word.slice(1));
      } else if (/[0-9+-]/.test(c)) {
        const m = /^[+-]?(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?)/.exec(src.slice(p));
        if (!m || m[0] === '' || m[0] === '+' || m[0] === '-') throw new TemplateError(`template: :${lineOf(src, p)}: bad character U+002D '-'`);
        p += m[0].length;
        push('number', m[0]);
      } else if (c === "'") {
        const ch = src[p + 1] === '\\' ? src.slice(p + 1, p + 3) : src[p + 1] ?? '';
        const end = src.indexOf("'", p + 1);
        if (end < 0) throw new TemplateError(`template: :${lineOf(src, p)}: unterminated character constant`);
        p = end + 1;
        const decoded = ch === '\\n' ? '\n' : ch === '\\t' ? '\t' : ch.replace(/^\\/, '');
        push('number', String(decoded.codePointAt(0) ?? 0));
      } else if (/[A-Za-z_]/.test(c)) {
        const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(p));
        const word = m?.[0] ?? c;
        p += word.length;
        if (word === 'true' || word === 'false') push('bool', word);
        else if (word === 'nil') push('nil', word);
        else push('ident', word);
      } else {
        throw new TemplateError(`template: :${lineOf(src, p)}: unexpected "${c}" in command`);
      }
    }
    if (!closed) throw new TemplateError(`template: :${lineOf(src, open)}: unclosed action`);
    out.push({ tokens, pos: open + 2 });
    i = p;
  }
  return out;
}

class Parser {
  private items: Array<{ text: string } | ActionSource>;
  private index = 0;

  constructor(private readonly src: string) {
    this.items = lex(src);
  }

  parse(): ListItem[] {
    const { list, stop } = this.parseList();
    if (stop) throw this.error(stop.pos, `unexpected {{${stop.word}}}`);
    return list;
  }

  private error(pos: number, msg: string): TemplateError {
    return new TemplateError(`template: :${lineOf(this.src, pos)}: ${msg}`);
  }

  /** Parses items until {{end}} or {{else …}}; returns the stopping keyword and the rest of its tokens. */
  private parseList(): { list: ListItem[]; stop?: { word: string; rest: Token[]; pos: number } } {
    const list: ListItem[] = [];
    while (this.index < this.items.length) {
      const item = this.items[this.index++];
      if (!item) break;
      if ('text' in item) {
        list.push({ kind: 'text', text: item.text });
        continue;
      }
      const first = item.tokens[0];
      if (!first) continue; // comment-only action
      if (first.type === 'ident' && KEYWORDS.has(first.value)) {
        const word = first.value;
        if (word === 'end' || word === 'else') return { list, stop: { word, rest: item.tokens.slice(1), pos: item.pos } };
        if (word === 'if' || word === 'with' || word === 'range') {
          list.push(this.parseControl(word, item.tokens.slice(1), item.pos));
          continue;
        }
        throw this.error(item.pos, `{{${word}}} is not supported`);
      }
      list.push({ kind: 'action', pipe: this.parsePipeline(item.tokens, item.pos) });
    }
    return { list };
  }

  private parseControl(word: 'if' | 'with' | 'range', tokens: Token[], pos: number): ListItem {
    if (tokens.length === 0) throw this.error(pos, `missing value for ${word}`);
    const pipe = this.parsePipeline(tokens, pos);
    const { list, stop } = this.parseList();
    if (!stop) throw this.error(pos, `unexpected EOF`);
    let elseList: ListItem[] | undefined;
    if (stop.word === 'else') {
      const next = stop.rest[0];
      if (next && next.type === 'ident' && (next.value === 'if' || next.value === 'with')) {
        // {{else if …}} is an if nested in the else branch that shares this {{end}}.
        elseList = [this.parseControl(next.value, stop.rest.slice(1), stop.pos)];
      } else {
        const inner = this.parseList();
        if (!inner.stop || inner.stop.word !== 'end') throw this.error(stop.pos, `expected end; found ${inner.stop ? inner.stop.word : 'EOF'}`);
        elseList = inner.list;
      }
    }
    return { kind: word, pipe, list, elseList };
  }

  private parsePipeline(tokens: Token[], pos: number): Pipeline {
    let i = 0;
    const decl: string[] = [];
    let assign = false;
    // Declarations: $x := …, $i, $v := …, $x = …
    const t0 = tokens[0];
    const t1 = tokens[1];
    if (t0?.type === 'var' && t1 && (t1.type === 'declare' || t1.type === 'assign' || t1.type === 'comma')) {
      if (t1.type === 'comma') {
        const t2 = tokens[2];
        const t3 = tokens[3];
        if (t2?.type !== 'var' || t3?.type !== 'declare') throw this.error(pos, 'too many declarations in command');
        decl.push(t0.value, t2.value);
        i = 4;
      } else {
        decl.push(t0.value);
        assign = t1.type === 'assign';
        i = 2;
      }
    }
    const state = { i };
    const pipe = this.parseCommands(tokens, state, pos, false);
    if (state.i < tokens.length) throw this.error(pos, `unexpected "${tokens[state.i]?.value ?? ''}" in command`);
    return { decl, assign, cmds: pipe, pos };
  }

  private parseCommands(tokens: Token[], state: { i: number }, pos: number, inParen: boolean): Command[] {
    const cmds: Command[] = [];
    let args: Node[] = [];
    let cmdPos = tokens[state.i]?.pos ?? pos;
    while (state.i < tokens.length) {
      const t = tokens[state.i];
      if (!t) break;
      if (t.type === 'rparen') {
        if (!inParen) throw this.error(pos, `unexpected right paren`);
        break;
      }
      if (t.type === 'pipe') {
        if (args.length === 0) throw this.error(pos, `missing command`);
        cmds.push({ args, pos: cmdPos });
        args = [];
        state.i++;
        cmdPos = tokens[state.i]?.pos ?? pos;
        continue;
      }
      args.push(this.parseOperand(tokens, state, pos));
    }
    if (args.length === 0) throw this.error(pos, cmds.length === 0 ? `missing value for command` : `missing command`);
    cmds.push({ args, pos: cmdPos });
    return cmds;
  }

  private parseOperand(tokens: Token[], state: { i: number }, pos: number): Node {
    const t = tokens[state.i++];
    if (!t) throw this.error(pos, 'unexpected EOF');
    let node: Node;
    switch (t.type) {
      case 'field':
        node = { kind: 'field', names: [t.value], pos: t.pos };
        break;
      case 'var':
        node = { kind: 'var', name: t.value, names: [], pos: t.pos };
        break;
      case 'dot':
        node = { kind: 'dot', pos: t.pos };
        break;
      case 'ident':
        if (KEYWORDS.has(t.value)) throw this.error(pos, `unexpected <${t.value}> in command`);
        node = { kind: 'ident', name: t.value, pos: t.pos };
        break;
      case 'string':
        node = { kind: 'literal', value: t.value, pos: t.pos };
        break;
      case 'number':
        node = { kind: 'literal', value: t.value.startsWith('0x') || t.value.startsWith('-0x') ? parseInt(t.value, 16) : Number(t.value), pos: t.pos };
        break;
      case 'bool':
        node = { kind: 'literal', value: t.value === 'true', pos: t.pos };
        break;
      case 'nil':
        node = { kind: 'literal', value: null, pos: t.pos };
        break;
      case 'lparen': {
        const cmds = this.parseCommands(tokens, state, pos, true);
        if (tokens[state.i]?.type !== 'rparen') throw this.error(pos, `unclosed left paren`);
        state.i++;
        node = { kind: 'pipeline', pipe: { decl: [], assign: false, cmds, pos: t.pos }, pos: t.pos };
        break;
      }
      default:
        throw this.error(pos, `unexpected "${t.value}" in operand`);
    }
    // Field chains bind to the preceding term only without whitespace: .A.B, $x.A, (…).A
    const chain: string[] = [];
    while (tokens[state.i]?.type === 'field' && !tokens[state.i]?.spaced) chain.push(tokens[state.i++]?.value ?? '');
    if (chain.length === 0) return node;
    if (node.kind === 'field') return { ...node, names: [...node.names, ...chain] };
    if (node.kind === 'var') return { ...node, names: chain };
    return { kind: 'chain', node, names: chain, pos: node.pos };
  }
}

// ---- evaluation ----

interface Scope {
  vars: Array<[string, unknown]>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function typeName(v: unknown): string {
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

function formatNumber(n: number): string {
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

function lessThan(a: unknown, b: unknown, name: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'string' && typeof b === 'string') return a < b;
  throw new TemplateError(`error calling ${name}: incompatible types for comparison`);
}

function eqBasic(a: unknown, b: unknown): boolean {
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
function sprint(args: unknown[]): string {
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

function toStringArray(v: unknown, fn: string): string[] {
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

class Executor {
  constructor(
    private readonly src: string,
    private readonly funcs: Record<string, TemplateFunc>,
    private readonly root: unknown,
  ) {}

  private fail(pos: number, node: string, msg: string): TemplateError {
    return new TemplateError(`template: :${lineCol(this.src, pos)}: executing "" at <${node}>: ${msg}`);
  }

  private lookupVar(scope: Scope, name: string, pos: number): unknown {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      const entry = scope.vars[i];
      if (entry && entry[0] === name) return entry[1];
    }
    throw new TemplateError(`template: :${lineOf(this.src, pos)}: undefined variable "${name}"`);
  }

  private setVar(scope: Scope, name: string, value: unknown, pos: number): void {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      const entry = scope.vars[i];
      if (entry && entry[0] === name) {
        entry[1] = value;
        return;
      }
    }
    throw new TemplateError(`template: :${lineOf(this.src, pos)}: undefined variable "${name}"`);
  }

  run(list: ListItem[], dot: unknown, scope: Scope, out: string[]): void {
    for (const item of list) {
      switch (item.kind) {
        case 'text':
          out.push(item.text);
          break;
        case 'action': {
          const v = this.pipeline(item.pipe, dot, scope);
          if (item.pipe.decl.length === 0) out.push(formatValue(v));
          break;
        }
        case 'if':
        case 'with': {
          const mark = scope.vars.length;
          const v = this.pipeline(item.pipe, dot, scope);
          if (truth(v)) this.run(item.list, item.kind === 'with' ? v : dot, scope, out);
          else if (item.elseList) this.run(item.elseList, dot, scope, out);
          scope.vars.length = mark;
          break;
        }
        case 'range': {
          const mark = scope.vars.length;
          const decl = item.pipe.decl;
          const v = this.pipeline({ ...item.pipe, decl: [] }, dot, scope);
          const entries: Array<[unknown, unknown]> = [];
          if (Array.isArray(v)) v.forEach((e, i) => entries.push([i, e]));
          else if (v instanceof Map) [...v.keys()].sort().forEach((k) => entries.push([k, v.get(k)]));
          else if (isPlainObject(v)) Object.keys(v).sort().forEach((k) => entries.push([k, v[k]]));
          else if (typeof v === 'number' && Number.isInteger(v)) for (let i = 0; i < v; i++) entries.push([i, i]);
          else if (v !== null && v !== undefined) throw this.fail(item.pipe.pos, 'range', `range can't iterate over ${formatValue(v)}`);
          if (entries.length === 0) {
            if (item.elseList) this.run(item.elseList, dot, scope, out);
          } else {
            for (const [k, e] of entries) {
              const inner = scope.vars.length;
              if (decl.length === 1 && decl[0]) scope.vars.push([decl[0], e]);
              if (decl.length === 2 && decl[0] && decl[1]) scope.vars.push([decl[0], k], [decl[1], e]);
              this.run(item.list, e, scope, out);
              scope.vars.length = inner;
            }
          }
          scope.vars.length = mark;
          break;
        }
      }
    }
  }

  pipeline(pipe: Pipeline, dot: unknown, scope: Scope): unknown {
    let value: unknown;
    pipe.cmds.forEach((cmd, i) => {
      value = this.command(cmd, dot, scope, i > 0, value);
    });
    for (const name of pipe.decl) {
      if (pipe.assign) this.setVar(scope, name, value, pipe.pos);
      else scope.vars.push([name, value]);
    }
    return value;
  }

  private command(cmd: Command, dot: unknown, scope: Scope, hasFinal: boolean, final: unknown): unknown {
    const [first, ...rest] = cmd.args;
    if (!first) return undefined;
    const finalArgs = hasFinal ? [final] : [];
    switch (first.kind) {
      case 'ident': {
        const fn = this.funcs[first.name];
        if (!fn) throw new TemplateError(`template: :${lineOf(this.src, first.pos)}: function "${first.name}" not defined`);
        const args = [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs];
        try {
          return fn(...args);
        } catch (err) {
          const msg = err instanceof Error ? err.message.replace(/^error calling \w+: /, '') : String(err);
          throw this.fail(first.pos, first.name, `error calling ${first.name}: ${msg}`);
        }
      }
      case 'field':
        return this.fieldChain(dot, first.names, first.pos, '', [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs]);
      case 'var': {
        const base = this.lookupVar(scope, first.name, first.pos);
        if (first.names.length === 0) {
          this.noArgs(rest.length + finalArgs.length, first.pos, first.name);
          return base;
        }
        return this.fieldChain(base, first.names, first.pos, first.name, [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs]);
      }
      case 'chain': {
        const base = this.arg(first.node, dot, scope);
        return this.fieldChain(base, first.names, first.pos, '', [...rest.map((a) => this.arg(a, dot, scope)), ...finalArgs]);
      }
      default:
        this.noArgs(rest.length + finalArgs.length, first.pos, first.kind === 'literal' ? formatValue(first.value) : '.');
        return this.arg(first, dot, scope);
    }
  }

  private noArgs(count: number, pos: number, what: string): void {
    if (count > 0) throw this.fail(pos, what, `can't give argument to non-function ${what}`);
  }

  arg(node: Node, dot: unknown, scope: Scope): unknown {
    switch (node.kind) {
      case 'dot':
        return dot;
      case 'literal':
        return node.value;
      case 'field':
        return this.fieldChain(dot, node.names, node.pos, '', []);
      case 'var': {
        const base = this.lookupVar(scope, node.name, node.pos);
        return node.names.length === 0 ? base : this.fieldChain(base, node.names, node.pos, node.name, []);
      }
      case 'chain':
        return this.fieldChain(this.arg(node.node, dot, scope), node.names, node.pos, '', []);
      case 'pipeline':
        return this.pipeline(node.pipe, dot, { vars: scope.vars });
      case 'ident': {
        const fn = this.funcs[node.name];
        if (!fn) throw new TemplateError(`template: :${lineOf(this.src, node.pos)}: function "${node.name}" not defined`);
        return fn();
      }
    }
  }

  /** Walks `.A.B.C`; only the last element may be a method taking arguments. */
  private fieldChain(base: unknown, names: string[], pos: number, prefix: string, args: unknown[]): unknown {
    let v = base;
    const label = `${prefix}.${names.join('.')}`;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      v = this.field(v, name, last ? args : [], pos, label, last);
    });
    return v;
  }

  private field(recv: unknown, name: string, args: unknown[], pos: number, label: string, last: boolean): unknown {
    if (recv === null || recv === undefined) {
      if (recv === null) throw this.fail(pos, label, `nil pointer evaluating interface {}.${name}`);
      return undefined;
    }
    if (recv instanceof Map) {
      if (args.length > 0) throw this.fail(pos, label, `${name} is not a method but has arguments`);
      return recv.has(name) ? recv.get(name) : undefined;
    }
    if (isPlainObject(recv)) {
      if (args.length > 0 && typeof recv[name] !== 'function') throw this.fail(pos, label, `${name} is not a method but has arguments`);
      const value = recv[name];
      return typeof value === 'function' ? (value as TemplateFunc).apply(recv, args) : value;
    }
    if (typeof recv === 'object' && name in recv) {
      const value = (recv as Record<string, unknown>)[name];
      if (typeof value === 'function') {
        const fn = value as TemplateFunc;
        if (fn.length !== args.length && last) {
          throw this.fail(pos, label, `wrong number of args for ${name}: want ${fn.length} got ${args.length}`);
        }
        return fn.apply(recv, args);
      }
      if (args.length > 0) throw this.fail(pos, label, `${name} is not a method but has arguments`);
      return value;
    }
    throw this.fail(pos, label, `can't evaluate field ${name} in type ${typeName(recv)}`);
  }

  execute(list: ListItem[]): string {
    const out: string[] = [];
    this.run(list, this.root, { vars: [['$', this.root]] }, out);
    return out.join('');
  }
}

/** A parsed template; execute it with any data (plain JSON objects, Maps, arrays or row classes with getters/methods). */
export class GoTemplate {
  private constructor(
    private readonly src: string,
    private readonly tree: ListItem[],
    private readonly funcs: Record<string, TemplateFunc>,
  ) {}

  static parse(src: string, funcs: Record<string, TemplateFunc> = {}): GoTemplate {
    const tree = new Parser(src).parse();
    return new GoTemplate(src, tree, { ...DEFAULT_FUNCS, ...funcs });
  }

  execute(data: unknown): string {
    return new Executor(this.src, this.funcs, data).execute(this.tree);
  }
}
