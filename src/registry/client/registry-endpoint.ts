/** Where a registry domain of a reference is reached, and how. */
export interface RegistryEndpoint {
  /** `localhost:5000`, `registry-1.docker.io` */
  readonly host: string;
  /** HTTP instead of HTTPS (insecure registries, loopback). */
  readonly insecure: boolean;
}

export interface EndpointSettings {
  /** daemon.json `insecure-registries`: host[:port] or CIDRs. */
  readonly insecureRegistries?: readonly string[];
}

/** Docker treats loopback registries as insecure without configuration. */
function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(name) || name === '::1';
}

function inCidr(host: string, cidr: string): boolean {
  const [net, bitsRaw] = cidr.split('/');
  const ip = host.replace(/:\d+$/, '');
  const toInt = (s: string): number | undefined => {
    const parts = s.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
    return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  };
  const a = toInt(ip);
  const b = toInt(net ?? '');
  const bits = Number(bitsRaw);
  if (a === undefined || b === undefined || !Number.isInteger(bits)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

/** The endpoint of a reference's domain (`docker.io` → Docker Hub's API host). */
export function endpointFor(domain: string, settings: EndpointSettings = {}): RegistryEndpoint {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  const configured = settings.insecureRegistries ?? [];
  const insecure = isLoopback(host) || configured.some((entry) => entry === domain || entry === host || (entry.includes('/') && inCidr(host, entry)));
  return { host, insecure };
}
