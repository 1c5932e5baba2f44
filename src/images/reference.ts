import { invalidArgument } from '../errors/engine-error.js';

/**
 * A Docker image reference, normalised as distribution/reference does:
 * `busybox` → domain `docker.io`, path `library/busybox`.
 */
export interface ImageReference {
  readonly domain: string;
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_MAX = 255;

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const tagPart = '[\\w][\\w.-]{0,127}';
const digestPart = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE_RE = new RegExp(
  `^((?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tagPart}))?(?:@(${digestPart}))?$`,
);
const DOMAIN_RE = new RegExp(`^${domainAndPort}$`);
const HEX64_RE = /^[a-f0-9]{64}$/;
const TAG_RE = new RegExp(`^${tagPart}$`);

/**
 * Parses and normalises a reference the way `reference.ParseNormalizedNamed`
 * does. The tag stays undefined when none was given (see `withDefaultTag`).
 */
export function parseReference(input: string): ImageReference {
  if (HEX64_RE.test(input)) {
    throw invalidArgument(`invalid repository name (${input}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDomain(input);
  const remoteName = remainder.split(/[:@]/, 1)[0] ?? '';
  if (remoteName.toLowerCase() !== remoteName) {
    throw invalidArgument(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  const m = REFERENCE_RE.exec(`${domain}/${remainder}`);
  if (!m) throw invalidArgument('invalid reference format');
  const name = m[1] ?? '';
  if (name.length > NAME_TOTAL_MAX) throw invalidArgument(`invalid reference format: repository name must not be more than ${NAME_TOTAL_MAX} characters`);
  const digest = m[3];
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalidArgument('invalid reference format');
  return { domain, path: name.slice(domain.length + 1), tag: m[2], digest };
}

function splitDomain(input: string): [string, string] {
  const i = input.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = i === -1 ? '' : input.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    remainder = input;
  } else {
    domain = first;
    remainder = input.slice(i + 1);
    if (!DOMAIN_RE.test(domain)) throw invalidArgument('invalid reference format');
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return [domain, remainder];
}

/** Adds `:latest` when the reference has neither tag nor digest. */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/** Replaces the tag (and drops any digest). */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (!TAG_RE.test(tag)) throw invalidArgument('invalid reference format');
  return { domain: ref.domain, path: ref.path, tag, digest: undefined };
}

/** `docker.io/library/busybox` */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The full normalised string: `docker.io/library/busybox:latest`. */
export function formatReference(ref: ImageReference): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The short repository name docker shows: `busybox`, `localhost:5000/x`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  if (ref.path.startsWith(OFFICIAL_PREFIX) && !ref.path.slice(OFFICIAL_PREFIX.length).includes('/')) {
    return ref.path.slice(OFFICIAL_PREFIX.length);
  }
  return ref.path;
}

/** `busybox:latest`, `localhost:5000/x@sha256:…` */
export function familiarString(ref: ImageReference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** Normalises a stored or user string to the canonical stored key. */
export function normalizeReference(input: string): string {
  return formatReference(withDefaultTag(parseReference(input)));
}

/** True for strings that could only be an image id (prefix): hex, optionally `sha256:`-prefixed. */
export function looksLikeIdPrefix(input: string): boolean {
  return /^(sha256:)?[a-f0-9]{1,64}$/.test(input);
}
