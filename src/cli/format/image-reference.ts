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
