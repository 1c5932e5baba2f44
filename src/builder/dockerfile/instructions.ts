import { type DockerfileNode, DockerfileParseError, type Heredoc, type ParsedDockerfile } from './parse-dockerfile.js';
import { splitRawWords } from './shell-words.js';

/** Shell form keeps the text for the stage's SHELL; exec form is the JSON array. */
export type CommandLine = { readonly json: true; readonly args: readonly string[] } | { readonly json: false; readonly text: string };

interface Base {
  readonly node: DockerfileNode;
}
export interface FromInstruction extends Base {
  readonly kind: 'from';
  readonly image: string;
  readonly stageName?: string;
  readonly platform?: string;
}
export interface RunInstruction extends Base {
  readonly kind: 'run';
  readonly command: CommandLine;
  /** A BuildKit-only flag it was given (--mount, --network, --security): the classic builder fails the step on it. */
  readonly buildkitFlag?: string;
}
export interface CmdInstruction extends Base {
  readonly kind: 'cmd' | 'entrypoint';
  readonly command: CommandLine;
}
export interface ShellInstruction extends Base {
  readonly kind: 'shell';
  readonly args: readonly string[];
}
export interface KeyValueInstruction extends Base {
  readonly kind: 'env' | 'label';
  /** Raw (unexpanded, quoted) key/value words. */
  readonly pairs: readonly { readonly key: string; readonly value: string }[];
}
export interface ArgInstruction extends Base {
  readonly kind: 'arg';
  readonly args: readonly { readonly name: string; readonly value?: string }[];
}
export interface CopyInstruction extends Base {
  readonly kind: 'copy' | 'add';
  /** Raw sources; a heredoc source is `<<NAME`. */
  readonly sources: readonly string[];
  readonly dest: string;
  readonly from?: string;
  readonly chown?: string;
  readonly chmod?: string;
  readonly heredocs: readonly Heredoc[];
}
export interface ValueInstruction extends Base {
  readonly kind: 'workdir' | 'user' | 'stopsignal' | 'maintainer' | 'onbuild';
  readonly value: string;
}
export interface ListInstruction extends Base {
  readonly kind: 'expose' | 'volume';
  /** Raw words (EXPOSE) or JSON items / words (VOLUME). */
  readonly items: readonly string[];
}
export interface HealthcheckInstruction extends Base {
  readonly kind: 'healthcheck';
  /** `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", text]`. */
  readonly test: readonly string[];
  readonly interval?: number;
  readonly timeout?: number;
  readonly startPeriod?: number;
  readonly startInterval?: number;
  readonly retries?: number;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | ShellInstruction
  | KeyValueInstruction
  | ArgInstruction
  | CopyInstruction
  | ValueInstruction
  | ListInstruction
  | HealthcheckInstruction;

export interface Stage {
  readonly index: number;
  readonly name?: string;
  readonly from: FromInstruction;
  readonly commands: readonly Instruction[];
}

export interface DockerfilePlan {
  /** ARGs before the first FROM. */
  readonly metaArgs: readonly ArgInstruction[];
  readonly stages: readonly Stage[];
  readonly escape: string;
}

const ALLOWED_FLAGS: Record<string, readonly string[]> = {
  from: ['platform'],
  // BuildKit's RUN flags parse; the step then fails as dockerd's classic builder fails it.
  run: ['mount', 'network', 'security'],
  copy: ['from', 'chown', 'chmod', 'link'],
  add: ['chown', 'chmod', 'link'],
  healthcheck: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

/** Turns parsed nodes into typed instructions grouped in stages (Docker's instructions.Parse). */
export function planDockerfile(parsed: ParsedDockerfile): DockerfilePlan {
  const metaArgs: ArgInstruction[] = [];
  const stages: { index: number; name?: string; from: FromInstruction; commands: Instruction[] }[] = [];
  if (parsed.nodes.length === 0) throw new DockerfileParseError(1, 'file with no instructions');
  for (const node of parsed.nodes) {
    const inst = parseInstruction(node);
    if (inst.kind === 'from') {
      stages.push({ index: stages.length, ...(inst.stageName !== undefined ? { name: inst.stageName } : {}), from: inst, commands: [] });
      continue;
    }
    const current = stages[stages.length - 1];
    if (!current) {
      if (inst.kind === 'arg') {
        metaArgs.push(inst);
        continue;
      }
      throw new DockerfileParseError(node.startLine, 'no build stage in current context');
    }
    current.commands.push(inst);
  }
  if (stages.length === 0) throw new DockerfileParseError(parsed.nodes[0]?.startLine ?? 1, 'no build stage in current context');
  return { metaArgs, stages, escape: parsed.escape };
}

/** Parses one node; errors carry Docker's `dockerfile parse error on line N:` prefix. */
export function parseInstruction(node: DockerfileNode): Instruction {
  try {
    return parseUnlocated(node);
  } catch (err) {
    if (err instanceof DockerfileParseError) throw err;
    throw new DockerfileParseError(node.startLine, (err as Error).message);
  }
}

function parseUnlocated(node: DockerfileNode): Instruction {
  const flags = parseFlags(node);
  const rest = node.rest;
  const k = node.keyword;
  switch (k) {
    case 'from': {
      const words = splitRawWords(rest);
      if (words.length === 3 && words[1]?.toLowerCase() === 'as') {
        const name = (words[2] as string).toLowerCase();
        if (!/^[a-z][a-z0-9-_.]*$/.test(name)) throw new Error(`invalid name for build stage: "${words[2]}", name can't start with a number or contain symbols`);
        return { kind: 'from', node, image: words[0] as string, stageName: name, ...opt('platform', flags.get('platform')) };
      }
      if (words.length !== 1) throw new Error('FROM requires either one or three arguments');
      return { kind: 'from', node, image: words[0] as string, ...opt('platform', flags.get('platform')) };
    }
    case 'run':
      if (rest === '' && node.heredocs.length === 0) throw new Error('RUN requires at least one argument');
      return { kind: 'run', node, command: commandLine(rest), ...opt('buildkitFlag', [...flags.keys()][0]) };
    case 'cmd':
    case 'entrypoint':
      return { kind: k, node, command: commandLine(rest) };
    case 'shell': {
      const json = parseJsonArray(rest);
      if (!json) throw new Error('SHELL requires the arguments to be in JSON form');
      if (json.length === 0) throw new Error('SHELL requires at least one argument');
      return { kind: 'shell', node, args: json };
    }
    case 'env':
    case 'label':
      return { kind: k, node, pairs: parseNameVal(k, rest) };
    case 'arg': {
      const words = splitRawWords(rest);
      if (words.length === 0) throw new Error('ARG requires at least one argument');
      return {
        kind: 'arg',
        node,
        args: words.map((w) => {
          const eq = w.indexOf('=');
          return eq < 0 ? { name: w } : { name: w.slice(0, eq), value: w.slice(eq + 1) };
        }),
      };
    }
    case 'copy':
    case 'add': {
      const json = parseJsonArray(rest);
      const words = json ?? splitRawWords(rest);
      if (words.length < 2) throw new Error(`${k.toUpperCase()} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      return {
        kind: k,
        node,
        sources: words.slice(0, -1),
        dest: words[words.length - 1] as string,
        heredocs: node.heredocs,
        ...opt('from', flags.get('from')),
        ...opt('chown', flags.get('chown')),
        ...opt('chmod', flags.get('chmod')),
      };
    }
    case 'workdir':
    case 'user':
    case 'stopsignal':
    case 'maintainer':
    case 'onbuild':
      if (rest === '') throw new Error(`${k.toUpperCase()} requires exactly one argument`);
      if (k === 'onbuild') {
        const inner = (/^\S+/.exec(rest)?.[0] ?? '').toUpperCase();
        if (inner === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (inner === 'FROM' || inner === 'MAINTAINER') throw new Error(`${inner} isn't allowed as an ONBUILD trigger`);
      }
      return { kind: k, node, value: rest };
    case 'expose':
      if (rest === '') throw new Error('EXPOSE requires at least one argument');
      return { kind: 'expose', node, items: splitRawWords(rest) };
    case 'volume': {
      const items = parseJsonArray(rest) ?? splitRawWords(rest);
      if (items.length === 0) throw new Error('VOLUME requires at least one argument');
      return { kind: 'volume', node, items };
    }
    case 'healthcheck':
      return parseHealthcheck(node, flags);
    default:
      throw new Error(`unknown instruction: ${node.keyword.toUpperCase()}`);
  }
}

function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function parseFlags(node: DockerfileNode): Map<string, string> {
  const allowed = ALLOWED_FLAGS[node.keyword] ?? [];
  const out = new Map<string, string>();
  for (const f of node.flags) {
    const eq = f.indexOf('=');
    const name = eq < 0 ? f : f.slice(0, eq);
    if (!allowed.includes(name)) throw new Error(`unknown flag: ${name}`);
    if (out.has(name)) throw new Error(`Duplicate flag specified: ${name}`);
    out.set(name, eq < 0 ? 'true' : f.slice(eq + 1));
  }
  return out;
}

/** A JSON array of strings, or undefined when `text` is not one (then it is shell form). */
export function parseJsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return undefined;
}

function commandLine(rest: string): CommandLine {
  const json = parseJsonArray(rest);
  return json ? { json: true, args: json } : { json: false, text: rest };
}

function parseNameVal(k: string, rest: string): { key: string; value: string }[] {
  const words = splitRawWords(rest);
  if (words.length === 0) throw new Error(`${k.toUpperCase()} requires at least one argument`);
  if (!(words[0] as string).includes('=')) {
    // legacy `ENV key value with spaces`
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw new Error(`${k.toUpperCase()} must have two arguments`);
    return [{ key: m[1] as string, value: m[2] as string }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) throw new Error(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) throw new Error(`${k.toUpperCase()} names can not be blank`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

function parseHealthcheck(node: DockerfileNode, flags: Map<string, string>): HealthcheckInstruction {
  const rest = node.rest;
  const m = /^(\S+)\s*([\s\S]*)$/.exec(rest);
  const typ = (m?.[1] ?? '').toUpperCase();
  if (typ === 'NONE') {
    if ((m?.[2] ?? '') !== '' || flags.size > 0) throw new Error('HEALTHCHECK NONE takes no arguments');
    return { kind: 'healthcheck', node, test: ['NONE'] };
  }
  if (typ !== 'CMD') throw new Error(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  const cmd = m?.[2] ?? '';
  if (cmd === '') throw new Error('Missing command after HEALTHCHECK CMD');
  const json = parseJsonArray(cmd);
  const test = json ? ['CMD', ...json] : ['CMD-SHELL', cmd];
  const duration = (name: string): number | undefined => {
    const v = flags.get(name);
    return v === undefined ? undefined : parseGoDuration(v, name);
  };
  const retriesText = flags.get('retries');
  const retries = retriesText === undefined ? undefined : Number(retriesText);
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) throw new Error('--retries must be at least 0');
  const r: HealthcheckInstruction = { kind: 'healthcheck', node, test };
  const out: { -readonly [K in keyof HealthcheckInstruction]: HealthcheckInstruction[K] } = { ...r };
  const interval = duration('interval');
  const timeout = duration('timeout');
  const startPeriod = duration('start-period');
  const startInterval = duration('start-interval');
  if (interval !== undefined) out.interval = interval;
  if (timeout !== undefined) out.timeout = timeout;
  if (startPeriod !== undefined) out.startPeriod = startPeriod;
  if (startInterval !== undefined) out.startInterval = startInterval;
  if (retries !== undefined) out.retries = retries;
  return out;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(text: string, flag: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (pos !== text.length || pos === 0) throw new Error(`time: invalid duration "${text}" for --${flag}`);
  return Math.round(total);
}
