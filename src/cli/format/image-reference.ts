/** A reference split as docker's reference.ParseNormalizedNamed would (without validation). */
export interface ParsedReference {
  /** Fully qualified repository, e.g. docker.io/library/busybox. */
  name: string;
  tag: string | undefined;
  digest: string | undefined;
}

export function parseReference(ref: string): ParsedReference {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: normalizeName(rest), tag, digest };
}

export function normalizeName(name: string): string {
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  if (hasDomain) return name;
  return slash >= 0 ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/** reference.FamiliarName: strips docker.io/ and library/. */
export function familiarName(name: string): string {
  if (name.startsWith('docker.io/library/') && name.indexOf('/', 'docker.io/library/'.length) < 0) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

/** `busybox` → `busybox:latest`; digests and explicit tags stay as written (familiar form). */
export function withDefaultTag(ref: string): string {
  const p = parseReference(ref);
  if (p.digest) return ref;
  return p.tag ? ref : `${ref}:latest`;
}

// distribution/reference grammar (reference/regexp.go), anchored.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const HOST = `(?:${DOMAIN_NAME}|${IPV6})`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][a-fA-F0-9]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE_RE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;
const NAME_TOTAL_LENGTH_MAX = 255;

/**
 * reference.ParseNormalizedNamed's validation: throws docker's messages
 * ("invalid reference format", "... repository name (library/Busybox) must be lowercase").
 */
export function validateNormalizedNamed(ref: string): void {
  if (ANCHORED_ID.test(ref)) {
    throw new Error(`invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  }
  // splitDockerDomain, then the remainder must be lowercase
  let rest = ref;
  const slash = ref.indexOf('/');
  if (slash >= 0) {
    const first = ref.slice(0, slash);
    const hasDomain = first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
    if (hasDomain) rest = ref.slice(slash + 1);
  } else {
    rest = `library/${ref}`;
  }
  const remoteName = rest.split(":")[0] ?? rest;
  if (remoteName !== remoteName.toLowerCase()) {
    throw new Error(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  }
  const m = REFERENCE_RE.exec(ref);
  if (!m) {
    if (ref === '') throw new Error('invalid reference format');
    if (REFERENCE_RE.exec(ref.toLowerCase())) throw new Error('invalid reference format: repository name must be lowercase');
    throw new Error('invalid reference format');
  }
  if ((m[1] ?? '').length > NAME_TOTAL_LENGTH_MAX) {
    throw new Error(`invalid reference format: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
}

/** reference.ParseAnyReference: a full 64-hex id or an `sha256:` id is fine, otherwise a normalized name. */
export function validateAnyReference(ref: string): void {
  if (ANCHORED_ID.test(ref) || /^sha256:[a-f0-9]{64}$/.test(ref)) return;
  validateNormalizedNamed(ref);
}
