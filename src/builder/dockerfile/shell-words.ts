/** Variables visible to an instruction: ENV of the stage plus build args in scope. */
export type BuildEnv = ReadonlyMap<string, string>;

/** Thrown for `${VAR:?message}` and malformed expansions. */
export class ExpansionError extends Error {}

/**
 * Docker's shell-word processing for instructions that substitute variables:
 * single quotes are literal, double quotes allow `$` expansion and escapes,
 * the escape character quotes the next character, `$VAR`, `${VAR}`,
 * `${VAR:-d}`, `${VAR-d}`, `${VAR:+a}`, `${VAR+a}`, `${VAR:?m}` expand.
 * Quotes are removed. Returns the words (split on unquoted blanks).
 */
export function processWords(input: string, env: BuildEnv, escape = '\\'): string[] {
  return new Lexer(input, env, escape).words();
}

/** Like processWords but keeps blanks: the whole input is one word. */
export function processWord(input: string, env: BuildEnv, escape = '\\'): string {
  return new Lexer(input, env, escape).word();
}

/** Splits on unquoted blanks without expanding or unquoting (for `k=v` pairs). */
export function splitRawWords(input: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i] as string;
    if (quote === undefined && /\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    cur += ch;
    if (ch === escape && quote !== "'" && i + 1 < input.length) {
      cur += input[++i] as string;
      continue;
    }
    if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
    else if (quote === ch) quote = undefined;
  }
  if (inWord) words.push(cur);
  return words;
}

class Lexer {
  private pos = 0;
  constructor(
    private readonly s: string,
    private readonly env: BuildEnv,
    private readonly escape: string,
  ) {}

  word(): string {
    return this.run(false).join('');
  }

  words(): string[] {
    return this.run(true);
  }

  private run(split: boolean): string[] {
    const out: string[] = [];
    let cur = '';
    let inWord = false;
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos] as string;
      if (split && /\s/.test(ch)) {
        this.pos++;
        if (inWord) out.push(cur);
        cur = '';
        inWord = false;
        continue;
      }
      inWord = true;
      if (ch === this.escape) {
        this.pos++;
        if (this.pos < this.s.length) cur += this.s[this.pos++] as string;
        else cur += ch;
      } else if (ch === "'") {
        this.pos++;
        const end = this.s.indexOf("'", this.pos);
        if (end < 0) throw new ExpansionError('unexpected end of statement while looking for matching single-quote');
        cur += this.s.slice(this.pos, end);
        this.pos = end + 1;
      } else if (ch === '"') {
        this.pos++;
        cur += this.doubleQuoted();
      } else if (ch === '$') {
        cur += this.dollar();
      } else {
        cur += ch;
        this.pos++;
      }
    }
    if (inWord || !split) out.push(cur);
    return out;
  }

  private doubleQuoted(): string {
    let cur = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos] as string;
      if (ch === '"') {
        this.pos++;
        return cur;
      }
      if (ch === '$') {
        cur += this.dollar();
        continue;
      }
      if (ch === this.escape) {
        const next = this.s[this.pos + 1];
        if (next === '"' || next === '$' || next === this.escape) {
          cur += next;
          this.pos += 2;
          continue;
        }
      }
      cur += ch;
      this.pos++;
    }
    throw new ExpansionError('unexpected end of statement while looking for matching double-quote');
  }

  private dollar(): string {
    this.pos++;
    const ch = this.s[this.pos];
    if (ch === '{') {
      this.pos++;
      const name = this.readName();
      if (name === '') throw new ExpansionError(`bad substitution`);
      const c = this.s[this.pos];
      if (c === '}') {
        this.pos++;
        return this.env.get(name) ?? '';
      }
      let op = '';
      if (c === ':') {
        op = ':';
        this.pos++;
      }
      op += this.s[this.pos] ?? '';
      this.pos++;
      const word = this.readUntilBrace();
      const value = this.env.get(name);
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      switch (op) {
        case ':-':
          return nonEmpty ? value : word;
        case '-':
          return set ? value : word;
        case ':+':
          return nonEmpty ? word : '';
        case '+':
          return set ? word : '';
        case ':?':
          if (!nonEmpty) throw new ExpansionError(`${name}: ${word === '' ? 'is not allowed to be empty' : word}`);
          return value;
        case '?':
          if (!set) throw new ExpansionError(`${name}: ${word === '' ? 'is not allowed to be unset' : word}`);
          return value;
        default:
          throw new ExpansionError(`unsupported modifier (${op}) in substitution`);
      }
    }
    const name = this.readName();
    if (name === '') return '$';
    return this.env.get(name) ?? '';
  }

  private readName(): string {
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(this.s.slice(this.pos));
    if (!m) return '';
    this.pos += m[0].length;
    return m[0];
  }

  /** The word of `${VAR:-word}`, itself expanded. */
  private readUntilBrace(): string {
    let cur = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos] as string;
      if (ch === '}') {
        this.pos++;
        return cur;
      }
      if (ch === '$') {
        cur += this.dollar();
        continue;
      }
      if (ch === this.escape && this.pos + 1 < this.s.length) {
        cur += this.s[this.pos + 1] as string;
        this.pos += 2;
        continue;
      }
      cur += ch;
      this.pos++;
    }
    throw new ExpansionError('syntax error: missing \'}\'');
  }
}
