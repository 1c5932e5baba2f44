import type { FlagSpec } from './flag-parser.js';
import type { CommandSpec } from './command-spec.js';

function flagColumn(f: FlagSpec): string {
  const name = f.short ? `-${f.short}, --${f.long}` : `    --${f.long}`;
  const value = f.kind === 'bool' ? '' : ` ${f.valueName ?? (f.kind === 'list' ? 'list' : f.kind)}`;
  return `${name}${value}`;
}

function defaultText(f: FlagSpec): string {
  if (f.defaultValue === undefined || f.defaultValue === false || f.defaultValue === '') return '';
  if (typeof f.defaultValue === 'string') return ` (default "${f.defaultValue}")`;
  return ` (default ${String(f.defaultValue)})`;
}

/** Cobra-style help: usage, description, aliases, options. */
export function commandHelp(prog: string, invoked: string[], spec: CommandSpec): string {
  const lines = [`Usage:  ${[prog, ...invoked].join(' ')} ${spec.usage}`.trimEnd(), '', spec.description];
  const aliases = [spec.path, ...(spec.aliases ?? [])].map((p) => [prog, ...p].join(' '));
  if (aliases.length > 1) lines.push('', 'Aliases:', `  ${aliases.join(', ')}`);
  const flags = spec.flags.filter((f) => !f.hidden);
  if (flags.length > 0) {
    const cols = flags.map(flagColumn);
    const width = Math.max(...cols.map((c) => c.length)) + 3;
    lines.push('', 'Options:');
    flags.forEach((f, i) => {
      const text = `${f.description}${defaultText(f)}`.split('\n').join(`\n${' '.repeat(width + 2)}`);
      lines.push(`  ${(cols[i] ?? '').padEnd(width)}${text}`);
    });
  }
  return `${lines.join('\n')}\n`;
}

/** The usage block that follows flag and argument errors. */
export function usageBlock(prog: string, invoked: string[], spec: CommandSpec, verb: 'Run' | 'See'): string {
  const path = [prog, ...invoked].join(' ');
  return `\nUsage:  ${path} ${spec.usage}`.trimEnd() + `\n\n${verb} '${path} --help' for more information\n`;
}
