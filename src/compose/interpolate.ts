import { ComposeError } from './compose-error.js';

export type Environment = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Compose-spec interpolation of one string: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty),
 * `${VAR-default}` (unset), `${VAR:?err}` / `${VAR?err}` (required) and `$$` for a literal `$`.
 * Unset variables without a default become "" (docker compose warns; we keep it quiet).
 */
export function interpolateString(input: string, env: Environment, where: string): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = closingBrace(input, i + 2);
      if (end < 0) throw new ComposeError(`invalid interpolation format for ${where}: "${input}"; you may need to escape any $ with another $`);
      out += substitute(input.slice(i + 2, end), env, where, input);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(input.slice(i + 1));
    if (m) {
      out += env[m[0]] ?? '';
      i += 1 + m[0].length;
      continue;
    }
    out += '$';
    i++;
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, allowing nested `${…}` in defaults. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '$' && s[j + 1] === '{') {
      depth++;
      j++;
    } else if (s[j] === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function substitute(body: string, env: Environment, where: string, whole: string): string {
  const m = NAME.exec(body);
  if (!m) throw new ComposeError(`invalid interpolation format for ${where}: "${whole}"; you may need to escape any $ with another $`);
  const name = m[0];
  const rest = body.slice(name.length);
  const value = env[name];
  if (rest === '') return value ?? '';
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (op === undefined) throw new ComposeError(`invalid interpolation format for ${where}: "${whole}"; you may need to escape any $ with another $`);
  const arg = rest.slice(op.length);
  const unset = op.startsWith(':') ? value === undefined || value === '' : value === undefined;
  switch (op.replace(':', '')) {
    case '-':
      return unset ? interpolateString(arg, env, where) : (value ?? '');
    case '+':
      return unset ? '' : interpolateString(arg, env, where);
    default:
      if (unset) throw new ComposeError(`required variable ${name} is missing a value: ${interpolateString(arg, env, where)}`);
      return value ?? '';
  }
}

/** Interpolates every string value (not keys) of a parsed YAML tree; `path` names the position for errors. */
export function interpolateTree(node: unknown, env: Environment, path = ''): unknown {
  if (typeof node === 'string') return interpolateString(node, env, path || 'value');
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, env, `${path}[${i}]`));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return node;
}
