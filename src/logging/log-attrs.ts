import { invalidArgument } from '../errors/engine-error.js';
import { expandLogTag, type LogTagInfo } from './log-tag.js';

/** What a driver may know about the container it logs for (dockerd logger.Info). */
export interface LogContainerInfo extends LogTagInfo {
  readonly labels: Readonly<Record<string, string>>;
  readonly env: readonly string[];
  /** Path and args joined by spaces (dockerd logger.Info.Command). */
  readonly command: string;
  /** RFC 3339 creation time. */
  readonly created: string;
}

/**
 * The "attrs" object of json-file records (dockerd logger.Info.ExtraAttributes
 * plus jsonfilelog's "tag"): labels named in `labels` or matching
 * `labels-regex`, env vars named in `env` or matching `env-regex`, and the
 * expanded `tag` when one is set. Serialised as Go's json.Marshal of a map:
 * keys sorted, <, >, & as \u003c…. Undefined when there is nothing to add.
 */
export function jsonFileAttrs(config: Readonly<Record<string, string>>, info: LogContainerInfo): string | undefined {
  const extra = extraAttributes(config, info);
  const tagTemplate = config['tag'];
  if (tagTemplate !== undefined && tagTemplate !== '') {
    const tag = expandLogTag(tagTemplate, info);
    if (tag !== '') extra.set('tag', tag);
  }
  if (extra.size === 0) return undefined;
  return `{${goJsonFields(extra)}}`;
}

/** `"k":"v",…` with keys sorted, as Go's json.Marshal of a map. */
export function goJsonFields(m: ReadonlyMap<string, string>): string {
  return [...m.keys()]
    .sort()
    .map((k) => `${goJsonString(k)}:${goJsonString(m.get(k) ?? '')}`)
    .join(',');
}

/** dockerd logger.Info.ExtraAttributes: labels/env named or matched by the options, keys passed through keyMod. */
export function extraAttributes(config: Readonly<Record<string, string>>, info: LogContainerInfo, keyMod: (k: string) => string = (k) => k): Map<string, string> {
  const extra = new Map<string, string>();
  const labels = config['labels'];
  if (labels) for (const l of labels.split(',')) if (Object.hasOwn(info.labels, l)) extra.set(keyMod(l), info.labels[l] ?? '');
  const labelsRegex = config['labels-regex'];
  if (labelsRegex) {
    const re = goRegexp(labelsRegex);
    for (const [k, v] of Object.entries(info.labels)) if (re.test(k)) extra.set(keyMod(k), v);
  }
  const envMap = new Map<string, string>();
  for (const e of info.env) {
    const i = e.indexOf('=');
    if (i >= 0) envMap.set(e.slice(0, i), e.slice(i + 1));
  }
  const env = config['env'];
  if (env) for (const l of env.split(',')) if (envMap.has(l)) extra.set(keyMod(l), envMap.get(l) ?? '');
  const envRegex = config['env-regex'];
  if (envRegex) {
    const re = goRegexp(envRegex);
    for (const [k, v] of envMap) if (re.test(k)) extra.set(keyMod(k), v);
  }
  return extra;
}

/** Go encoding/json's string form: HTML-safe (<, >, & escaped), U+2028/9 escaped. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A Go RE2 pattern as a JS RegExp; the texts of Go's parse errors for the common mistakes. */
function goRegexp(pattern: string): RegExp {
  const fail = (what: string): Error => invalidArgument(`failed to initialize logging driver: error parsing regexp: ${what}: \`${pattern}\``);
  try {
    return new RegExp(pattern, 'u');
  } catch (err) {
    const msg = (err as Error).message;
    if (/Unterminated character class/.test(msg)) throw fail('missing closing ]');
    if (/Unterminated group/.test(msg)) throw fail('missing closing )');
    if (/Unmatched '\)'/.test(msg)) throw fail('unexpected )');
    if (/Nothing to repeat/.test(msg)) throw fail('missing argument to repetition operator');
    throw fail(msg.replace(/^Invalid regular expression: \/.*\/u?: /, ''));
  }
}
