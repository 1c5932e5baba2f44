/**
 * pflag-compatible argv parsing: --long, --long=value, -s value, -svalue, grouped booleans (-it),
 * `--` to end flags, and (for run/create/exec) stopping at the first positional argument.
 * Error texts are pflag's, which docker prints verbatim.
 */

export type FlagKind = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  long: string;
  short?: string;
  kind: FlagKind;
  /** Value name shown in help (docker's "string", "list", "int"…). */
  valueName?: string;
  description: string;
  defaultValue?: string | number | boolean;
  hidden?: boolean;
}

export type FlagValue = string | number | boolean | string[];

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

export interface ParsedFlags {
  values: Map<string, FlagValue>;
  args: string[];
  help: boolean;
}

function flagLabel(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.long}` : `--${spec.long}`;
}

function setValue(values: Map<string, FlagValue>, spec: FlagSpec, raw: string): void {
  switch (spec.kind) {
    case 'bool': {
      const v = parseGoBool(raw);
      if (v === undefined) throw new FlagError(`invalid argument "${raw}" for "${flagLabel(spec)}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
      values.set(spec.long, v);
      return;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw.trim()) || raw.trim() !== raw) {
        throw new FlagError(`invalid argument "${raw}" for "${flagLabel(spec)}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      }
      values.set(spec.long, Number(raw));
      return;
    }
    case 'list': {
      const prev = values.get(spec.long);
      values.set(spec.long, [...(Array.isArray(prev) ? prev : []), raw]);
      return;
    }
    case 'string':
      values.set(spec.long, raw);
  }
}

export function parseGoBool(raw: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  return undefined;
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], options: { interspersed: boolean }): ParsedFlags {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const helpShort = !byShort.has('h');
  const values = new Map<string, FlagValue>();
  const args: string[] = [];
  let help = false;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++] ?? '';
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (name === 'help') {
        help = true;
        continue;
      }
      const spec = byLong.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) setValue(values, spec, arg.slice(eq + 1));
      else if (spec.kind === 'bool') values.set(spec.long, true);
      else if (i < argv.length) setValue(values, spec, argv[i++] ?? '');
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      let rest = arg.slice(1);
      while (rest.length > 0) {
        const c = rest[0] ?? '';
        rest = rest.slice(1);
        const spec = byShort.get(c);
        if (!spec) {
          if (c === 'h' && helpShort) {
            help = true;
            continue;
          }
          throw new FlagError(`unknown shorthand flag: '${c}' in -${c}${rest}`);
        }
        if (rest.startsWith('=')) {
          setValue(values, spec, rest.slice(1));
          rest = '';
        } else if (spec.kind === 'bool') {
          values.set(spec.long, true);
        } else if (rest.length > 0) {
          setValue(values, spec, rest);
          rest = '';
        } else if (i < argv.length) {
          setValue(values, spec, argv[i++] ?? '');
        } else {
          throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
        }
      }
      continue;
    }
    args.push(arg);
    if (!options.interspersed) {
      args.push(...argv.slice(i));
      break;
    }
  }
  return { values, args, help };
}

/** Typed accessors over parsed values, falling back to each flag's default. */
export class FlagValues {
  constructor(
    private readonly values: Map<string, FlagValue>,
    private readonly specs: readonly FlagSpec[],
  ) {}

  private spec(name: string): FlagSpec | undefined {
    return this.specs.find((s) => s.long === name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  bool(name: string): boolean {
    const v = this.values.get(name) ?? this.spec(name)?.defaultValue;
    return v === true;
  }

  string(name: string): string | undefined {
    const v = this.values.get(name) ?? this.spec(name)?.defaultValue;
    return typeof v === 'string' ? v : undefined;
  }

  int(name: string): number | undefined {
    const v = this.values.get(name) ?? this.spec(name)?.defaultValue;
    return typeof v === 'number' ? v : undefined;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}
