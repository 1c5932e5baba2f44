import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { TlsOptions } from '../client/engine-host.js';
import { commandHelp, usageBlock } from './argv/command-help.js';
import type { ArgsRule, CommandSpec } from './argv/command-spec.js';
import { FlagError, FlagValues, parseFlags, type FlagSpec } from './argv/flag-parser.js';
import { CliContext } from './cli-context.js';
import { COMMANDS, GROUPS, resolveCommand } from './command-registry.js';

// Startup cost matters (every invocation is a new process): only what help and routing need is imported
// statically; the command's module, the Engine API client and error formatting are imported when used.

const GLOBAL_FLAGS: FlagSpec[] = [
  { long: 'config', kind: 'string', description: 'Location of client config files' },
  { long: 'context', short: 'c', kind: 'string', description: 'Name of the context to use to connect to the daemon' },
  { long: 'debug', short: 'D', kind: 'bool', description: 'Enable debug mode' },
  { long: 'host', short: 'H', kind: 'list', description: 'Daemon socket to connect to' },
  { long: 'log-level', short: 'l', kind: 'string', description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', defaultValue: 'info' },
  { long: 'tls', kind: 'bool', description: 'Use TLS; implied by --tlsverify' },
  { long: 'tlscacert', kind: 'string', description: 'Trust certs signed only by this CA' },
  { long: 'tlscert', kind: 'string', description: 'Path to TLS certificate file' },
  { long: 'tlskey', kind: 'string', description: 'Path to TLS key file' },
  { long: 'tlsverify', kind: 'bool', description: 'Use TLS and verify the remote' },
  { long: 'version', short: 'v', kind: 'bool', description: 'Print version information and quit' },
];

function argsError(rule: ArgsRule, count: number): { message: string; verb: 'Run' | 'See' } | undefined {
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  switch (rule.kind) {
    case 'none':
      return count > 0 ? { message: 'accepts no arguments', verb: 'Run' } : undefined;
    case 'exact':
      return count !== rule.count ? { message: `requires ${plural(rule.count)}`, verb: 'Run' } : undefined;
    case 'min':
      return count < rule.count ? { message: `requires at least ${plural(rule.count)}`, verb: 'See' } : undefined;
    case 'max':
      return count > rule.count ? { message: `requires at most ${plural(rule.count)}`, verb: 'Run' } : undefined;
    case 'range':
      return count < rule.min || count > rule.max ? { message: `requires at least ${rule.min} and at most ${plural(rule.max)}`, verb: 'Run' } : undefined;
  }
}

/**
 * Orders exactly like `a.localeCompare(b)`. The first localeCompare call loads ICU collation data (~6 ms, a sixth of
 * `berth --help`); for names of lowercase ASCII letters only, collation order is code-unit order.
 */
function byName(a: string, b: string): number {
  if (/^[a-z]*$/.test(a) && /^[a-z]*$/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return a.localeCompare(b);
}

function rootHelp(prog: string): string {
  const top = COMMANDS.flatMap((c) => [c.path, ...(c.aliases ?? [])].filter((p) => p.length === 1).map((p) => [p[0] ?? '', c.description] as const));
  const width = Math.max(...top.map(([n]) => n.length), ...Object.keys(GROUPS).map((g) => g.length)) + 2;
  const lines = [`Usage:  ${prog} [OPTIONS] COMMAND`, '', 'A self-sufficient runtime for containers', '', 'Commands:'];
  for (const [name, desc] of [...top].sort(([a], [b]) => byName(a, b))) lines.push(`  ${name.padEnd(width)}${desc}`);
  lines.push('', 'Management Commands:');
  for (const [name, desc] of Object.entries(GROUPS)) lines.push(`  ${name.padEnd(width)}${desc}`);
  lines.push('', 'Global Options:');
  for (const f of GLOBAL_FLAGS) lines.push(`  ${(f.short ? `-${f.short}, --${f.long}` : `    --${f.long}`).padEnd(22)}${f.description}`);
  lines.push('', `Run '${prog} COMMAND --help' for more information on a command.`);
  return `${lines.join('\n')}\n`;
}

function groupHelp(prog: string, group: string): string {
  const verbs = COMMANDS.filter((c) => c.path[0] === group && c.path.length === 2);
  const width = Math.max(...verbs.map((c) => (c.path[1] ?? '').length)) + 3;
  const lines = [`Usage:  ${prog} ${group} COMMAND`, '', GROUPS[group] ?? '', '', 'Commands:'];
  for (const c of [...verbs].sort((a, b) => byName(a.path[1] ?? '', b.path[1] ?? ''))) lines.push(`  ${(c.path[1] ?? '').padEnd(width)}${c.description}`);
  lines.push('', `Run '${prog} ${group} COMMAND --help' for more information on a command.`);
  return `${lines.join('\n')}\n`;
}

function readTls(globals: FlagValues, env: NodeJS.ProcessEnv): TlsOptions | undefined {
  const verify = globals.bool('tlsverify') || (env['DOCKER_TLS_VERIFY'] ?? '') !== '';
  if (!verify && !globals.bool('tls')) return undefined;
  const dir = env['DOCKER_CERT_PATH'] || join(homedir(), '.docker');
  const read = (flag: string, file: string): Buffer | undefined => {
    const path = globals.string(flag) ?? join(dir, file);
    try {
      return readFileSync(path);
    } catch {
      return undefined;
    }
  };
  const ca = read('tlscacert', 'ca.pem');
  const cert = read('tlscert', 'cert.pem');
  const key = read('tlskey', 'key.pem');
  return { verify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** Runs one CLI invocation and returns its exit code; everything printed goes through `ctx`-like streams. */
export async function runCli(argv: readonly string[], io: { prog: string; env: NodeJS.ProcessEnv }): Promise<number> {
  const { prog, env } = io;
  const stderr = process.stderr;
  let globals: FlagValues;
  let rest: string[];
  try {
    const parsed = parseFlags(argv, GLOBAL_FLAGS, { interspersed: false });
    globals = new FlagValues(parsed.values, GLOBAL_FLAGS);
    rest = parsed.args;
    if (parsed.help && rest.length === 0) {
      process.stdout.write(rootHelp(prog));
      return 0;
    }
    if (parsed.help) rest = [...rest, '--help'];
  } catch (err) {
    const { describeError } = await import('./cli-errors.js');
    stderr.write(`${describeError(err)}\nSee '${prog} --help'.\n`);
    return 125;
  }
  if (globals.bool('version')) {
    const { BERTH_VERSION } = await import('./commands/system/client-info.js');
    process.stdout.write(`Berth version ${BERTH_VERSION}, build unknown\n`);
    return 0;
  }
  const hosts = globals.list('host');
  if (hosts.length > 1) {
    stderr.write('Specify only one -H\n');
    return 1;
  }

  if (rest.length === 0) {
    process.stdout.write(rootHelp(prog));
    return 0;
  }
  const resolved = resolveCommand(rest);
  if (!resolved) {
    const first = rest[0] ?? '';
    if (GROUPS[first] !== undefined && (rest.length === 1 || rest[1]?.startsWith('-'))) {
      process.stdout.write(groupHelp(prog, first));
      return 0;
    }
    const shown = GROUPS[first] !== undefined ? `${first} ${rest[1] ?? ''}` : first;
    stderr.write(`${prog}: unknown command: ${prog} ${shown}\n\nRun '${prog} ${GROUPS[first] !== undefined ? `${first} ` : ''}--help' for more information\n`);
    return 1;
  }
  const { entry, invoked } = resolved;
  const spec = await entry.load();
  return runCommand(spec, invoked, rest.slice(invoked.length), { prog, env, globals });
}

async function runCommand(
  spec: CommandSpec,
  invoked: string[],
  argv: string[],
  opts: { prog: string; env: NodeJS.ProcessEnv; globals: FlagValues },
): Promise<number> {
  const { prog, env, globals } = opts;
  let parsed;
  try {
    parsed = parseFlags(argv, spec.flags, { interspersed: !spec.stopAtFirstArg });
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${err.message}\n${usageBlock(prog, invoked, spec, 'Run')}`);
    return 125;
  }
  if (parsed.help) {
    process.stdout.write(commandHelp(prog, invoked, spec));
    return 0;
  }
  const bad = argsError(spec.args, parsed.args.length);
  if (bad) {
    process.stderr.write(`${prog}: '${[prog, ...invoked].join(' ')}' ${bad.message}\n${usageBlock(prog, invoked, spec, bad.verb)}`);
    return 1;
  }
  const [{ BerthClient }, { parseHost, selectHostAddress }, { CliExit, describeError }] = await Promise.all([
    import('../client/berth-client.js'),
    import('../client/engine-host.js'),
    import('./cli-errors.js'),
  ]);
  const makeClient = () => {
    const address = selectHostAddress(globals.list('host')[0], env);
    const tls = readTls(globals, env);
    const apiVersion = env['DOCKER_API_VERSION'];
    return new BerthClient({ host: parseHost(address, tls), ...(apiVersion ? { apiVersion } : {}) });
  };
  const ctx = new CliContext(prog, process.stdout, process.stderr, process.stdin, env, makeClient);
  try {
    return await spec.run(ctx, new FlagValues(parsed.values, spec.flags), parsed.args);
  } catch (err) {
    if (err instanceof CliExit) {
      if (err.message) process.stderr.write(`${err.message}\n`);
      return err.code;
    }
    if (err instanceof FlagError) {
      // a flag value rejected while the command ran (e.g. -f without '='): cobra reports it as a flag error
      process.stderr.write(`${err.message}\n${usageBlock(prog, invoked, spec, 'Run')}`);
      return 125;
    }
    process.stderr.write(`${describeError(err)}\n`);
    return 1;
  }
}

async function main(): Promise<void> {
  const prog = basename(process.argv[1] ?? 'berth') === 'docker' ? 'docker' : 'berth';
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const code = await runCli(process.argv.slice(2), { prog, env: process.env });
  // Let buffered output reach pipes before exiting (stdin listeners would otherwise keep us alive).
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}

await main();
