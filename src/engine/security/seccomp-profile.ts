import { invalidArgument } from '../../errors/engine-error.js';
import { defaultSeccompProfile, resolveSeccompProfile, type OciSeccompProfile, type SeccompArg, type SeccompProfile, type SeccompRule } from './seccomp-default.js';
import type { SeccompChoice } from './security-opts.js';

/*
 * A profile in Docker's JSON format (`docker run --security-opt seccomp=file.json`)
 * turned into our rules. Docker's extensions are honoured where they mean
 * something on this host: names/name, includes/excludes caps, archMap.
 */

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const ops = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);
const actions = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);

function fail(detail: string): Error {
  return invalidArgument(`Decoding seccomp profile failed: ${detail}`);
}

function parseArg(a: unknown): SeccompArg {
  if (!isObject(a) || typeof a.index !== 'number' || typeof a.value !== 'number' || typeof a.op !== 'string' || !ops.has(a.op)) {
    throw fail(`invalid syscall argument ${JSON.stringify(a)}`);
  }
  return { index: a.index, value: a.value, valueTwo: typeof a.valueTwo === 'number' ? a.valueTwo : 0, op: a.op as SeccompArg['op'] };
}

/** Parses Docker's seccomp JSON; throws invalid_argument with Docker's prefix on malformed input. */
export function parseDockerSeccompProfile(text: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw fail((err as Error).message);
  }
  if (!isObject(raw)) throw fail('profile is not a JSON object');
  const defaultAction = raw.defaultAction;
  if (typeof defaultAction !== 'string' || !actions.has(defaultAction)) throw fail(`invalid defaultAction ${JSON.stringify(defaultAction)}`);
  const archMap = Array.isArray(raw.archMap) ? raw.archMap.filter(isObject) : [];
  const architectures = [...strings(raw.architectures)];
  for (const m of archMap) {
    if (m.architecture === 'SCMP_ARCH_X86_64') architectures.push('SCMP_ARCH_X86_64', ...strings(m.subArchitectures));
  }
  const rules: SeccompRule[] = [];
  for (const s of Array.isArray(raw.syscalls) ? raw.syscalls : []) {
    if (!isObject(s)) throw fail('syscall entry is not an object');
    const names = [...strings(s.names), ...(typeof s.name === 'string' ? [s.name] : [])];
    if (typeof s.action !== 'string' || !actions.has(s.action)) throw fail(`invalid action ${JSON.stringify(s.action)}`);
    const includes = isObject(s.includes) ? s.includes : {};
    const excludes = isObject(s.excludes) ? s.excludes : {};
    // Rules for other architectures do not apply on x86_64.
    const arches = strings(includes.arches);
    if (arches.length > 0 && !arches.some((a) => a === 'amd64' || a === 'x86_64')) continue;
    if (strings(excludes.arches).some((a) => a === 'amd64' || a === 'x86_64')) continue;
    const includesCaps = strings(includes.caps);
    const excludesCaps = strings(excludes.caps);
    rules.push({
      names,
      action: s.action as SeccompRule['action'],
      ...(typeof s.errnoRet === 'number' ? { errnoRet: s.errnoRet } : {}),
      ...(Array.isArray(s.args) && s.args.length > 0 ? { args: s.args.map(parseArg) } : {}),
      ...(includesCaps.length > 0 ? { includesCaps } : {}),
      ...(excludesCaps.length > 0 ? { excludesCaps } : {}),
    });
  }
  return {
    defaultAction,
    ...(typeof raw.defaultErrnoRet === 'number' ? { defaultErrnoRet: raw.defaultErrnoRet } : {}),
    architectures: [...new Set(architectures)],
    rules,
  };
}

/** The spec's seccomp section: none when privileged or unconfined (moby: privileged implies unconfined). */
export function seccompFor(choice: SeccompChoice, opts: { privileged: boolean; capabilities: readonly string[] }): OciSeccompProfile | undefined {
  if (choice.kind === 'unconfined' || opts.privileged) return undefined;
  if (choice.kind === 'custom') return resolveSeccompProfile(parseDockerSeccompProfile(choice.json), opts.capabilities);
  return resolveSeccompProfile(defaultSeccompProfile, opts.capabilities);
}
