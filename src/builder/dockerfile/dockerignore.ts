import { posix } from 'node:path';

interface Pattern {
  readonly exclusion: boolean;
  readonly re: RegExp;
  readonly text: string;
}

/**
 * `.dockerignore` with Docker's rules (moby/patternmatcher): one pattern per
 * line, `#` comments, leading `/` and `./` ignored, paths cleaned, `*`, `?`,
 * `[…]` within one path segment, `**` across segments, `!` re-includes. The
 * last matching pattern wins, and a pattern matching a directory matches
 * everything below it.
 */
export class DockerIgnore {
  private readonly patterns: Pattern[];

  constructor(text: string) {
    this.patterns = [];
    for (const rawLine of text.split(/\r?\n/)) {
      let line = rawLine.trim();
      if (line === '' || line.startsWith('#')) continue;
      let exclusion = false;
      if (line.startsWith('!')) {
        exclusion = true;
        line = line.slice(1).trim();
      }
      let cleaned = posix.normalize(line);
      cleaned = cleaned.replace(/^\/+/, '').replace(/\/+$/, '');
      if (cleaned === '' || cleaned === '.') continue;
      this.patterns.push({ exclusion, re: compile(cleaned), text: cleaned });
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** True when `path` (relative, `/`-separated) is excluded from the context. */
  ignores(path: string): boolean {
    const p = posix.normalize(path).replace(/^\.?\/+/, '').replace(/\/+$/, '');
    const parents: string[] = [];
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let ignored = false;
    for (const pat of this.patterns) {
      if (pat.exclusion === !ignored) continue;
      let match = pat.re.test(p);
      if (!match) match = parents.some((d) => pat.re.test(d));
      if (match) ignored = !pat.exclusion;
    }
    return ignored;
  }

  /** True when an excluded directory might still contain re-included files (so it must be walked). */
  hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }
}

function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '\\' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i] as string);
    } else {
      re += escapeRe(ch);
    }
  }
  return new RegExp(`${re}$`);
}

function escapeRe(ch: string): string {
  return /[.+^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}
