/** One heredoc attached to an instruction (`RUN <<EOF`, `COPY <<EOF /dst`). */
export interface Heredoc {
  readonly name: string;
  /** The body, every line ending in "\n" (tabs stripped for `<<-`). */
  readonly content: string;
  /** False when the delimiter was quoted: the body is taken literally. */
  readonly expand: boolean;
}

/** A logical Dockerfile line: keyword, flags and the unparsed rest. */
export interface DockerfileNode {
  /** Lower-case keyword (`run`, `copy` …). */
  readonly keyword: string;
  /** `--name=value` flags given before the arguments, in order. */
  readonly flags: readonly string[];
  /** The arguments after the flags, continuation lines joined. */
  readonly rest: string;
  /** The instruction as written (continuations joined, no heredoc bodies): what Docker prints in "Step n/m : …". */
  readonly original: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly heredocs: readonly Heredoc[];
}

export interface ParsedDockerfile {
  readonly directives: Readonly<Record<string, string>>;
  readonly escape: string;
  readonly nodes: readonly DockerfileNode[];
}

/** A parse error with Docker's wording: `dockerfile parse error on line N: …`. */
export class DockerfileParseError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`dockerfile parse error on line ${line}: ${detail}`);
  }
}

const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const HEREDOC_RE = /<<(-?)\s*(["']?)([a-zA-Z_][a-zA-Z0-9_]*)\2/g;
const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);
const FLAG_KEYWORDS = new Set(['from', 'run', 'copy', 'add', 'healthcheck']);

/**
 * Splits a Dockerfile into logical instructions the way Docker's parser does:
 * parser directives at the top, comments and blank lines dropped (also inside
 * continuations), lines ending in the escape character joined, heredoc bodies
 * read after RUN/COPY/ADD. Pure: no I/O, no variable expansion.
 */
export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const directives: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = DIRECTIVE_RE.exec(lines[i] ?? '');
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    if (!['syntax', 'escape', 'check'].includes(key)) break;
    if (directives[key] !== undefined) throw new DockerfileParseError(i + 1, `only one ${key} parser directive can be used`);
    directives[key] = m[2] as string;
  }
  const escape = directives['escape'] ?? '\\';
  if (escape !== '\\' && escape !== '`') throw new DockerfileParseError(1, `invalid escape token '${escape}' does not match ${'`'} or \\`);

  const nodes: DockerfileNode[] = [];
  while (i < lines.length) {
    const raw = lines[i] as string;
    const startLine = i + 1;
    i++;
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    let logical = '';
    let current = trimmed;
    let endLine = startLine;
    for (;;) {
      const { text: body, continues } = stripContinuation(current, escape);
      logical += body;
      if (!continues) break;
      // comments and blank lines inside a continuation are skipped, as Docker does
      let next: string | undefined;
      while (i < lines.length) {
        const candidate = (lines[i] as string).trimStart();
        i++;
        if (candidate === '' || candidate.startsWith('#')) continue;
        next = lines[i - 1] as string;
        endLine = i;
        break;
      }
      if (next === undefined) break;
      current = next;
    }
    const m = /^(\S+)\s*([\s\S]*)$/.exec(logical.trim());
    if (!m) continue;
    const keyword = (m[1] as string).toLowerCase();
    let rest = (m[2] as string).trim();
    const flags: string[] = [];
    if (FLAG_KEYWORDS.has(keyword)) {
      for (;;) {
        const fm = /^--(\S*)\s*/.exec(rest);
        if (!fm || !rest.startsWith('--')) break;
        if (fm[1] === '') {
          rest = rest.slice(fm[0].length);
          break;
        }
        flags.push(fm[1] as string);
        rest = rest.slice(fm[0].length);
      }
    }
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KEYWORDS.has(keyword) && !rest.startsWith('[')) {
      for (const hm of rest.matchAll(HEREDOC_RE)) {
        const strip = hm[1] === '-';
        const name = hm[3] as string;
        let content = '';
        let closed = false;
        while (i < lines.length) {
          let line = lines[i] as string;
          i++;
          endLine = i;
          if (strip) line = line.replace(/^\t+/, '');
          if (line === name) {
            closed = true;
            break;
          }
          content += `${line}\n`;
        }
        if (!closed) throw new DockerfileParseError(startLine, `unterminated heredoc ${name}`);
        heredocs.push({ name, content, expand: hm[2] === '' });
      }
    }
    nodes.push({ keyword, flags, rest, original: logical.trim(), startLine, endLine, heredocs });
  }
  return { directives, escape, nodes };
}

function stripContinuation(line: string, escape: string): { text: string; continues: boolean } {
  const t = line.replace(/\s+$/, '');
  // Docker's rule: the escape character, then only blanks, at the end of the line
  if (t.endsWith(escape)) return { text: t.slice(0, -1), continues: true };
  return { text: line, continues: false };
}
