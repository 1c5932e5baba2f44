/** Go text/template syntax: the lexer (with trim markers) and the parser into an action tree. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export type TemplateFunc = (...args: unknown[]) => unknown;

export type TokenType = 'field' | 'var' | 'ident' | 'string' | 'number' | 'bool' | 'nil' | 'dot' | 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma';
export interface Token {
  type: TokenType;
  value: string;
  pos: number;
  /** True when whitespace separates this token from the previous one. */
  spaced: boolean;
}

export type Node =
  | { kind: 'field'; names: string[]; pos: number }
  | { kind: 'var'; name: string; names: string[]; pos: number }
  | { kind: 'ident'; name: string; pos: number }
  | { kind: 'dot'; pos: number }
  | { kind: 'literal'; value: unknown; pos: number }
  | { kind: 'chain'; node: Node; names: string[]; pos: number }
  | { kind: 'pipeline'; pipe: Pipeline; pos: number };

export interface Command {
  args: Node[];
  pos: number;
}
export interface Pipeline {
  decl: string[];
  assign: boolean;
  cmds: Command[];
  pos: number;
}

export type ListItem =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipe: Pipeline; list: ListItem[]; elseList: ListItem[] | undefined };

export interface ActionSource {
  tokens: Token[];
  pos: number;
}

export const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

export function lineOf(src: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < src.length; i++) if (src[i] === '\n') line++;
  return line;
}

export function lineCol(src: string, pos: number): string {
  const before = src.slice(0, pos);
  const lastNl = before.lastIndexOf('\n');
  return `${lineOf(src, pos)}:${pos - lastNl - 1}`;
}

/** Splits the source into text and tokenized actions, applying `{{-` / `-}}` trimming. */
export function lex(src: string): Array<{ text: string } | ActionSource> {
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

export class Parser {
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
