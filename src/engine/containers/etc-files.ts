import { readFile, writeFile } from 'node:fs/promises';
import { hostname as hostHostname } from 'node:os';

/**
 * The per-container /etc/hostname, /etc/hosts and /etc/resolv.conf, written
 * as Docker writes them and bind-mounted into the container.
 */
export interface EtcFileInputs {
  readonly hostname: string;
  readonly domainname: string;
  readonly networkMode: string; // effective: none | host | bridge…
  readonly extraHosts: readonly string[];
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly dnsOptions: readonly string[];
  /** On a user-defined network: berthd's DNS server (the network's gateway) replaces the host's resolvers unless --dns is given. */
  readonly dnsServer?: string;
}

export async function writeEtcFiles(
  paths: { hostnamePath: string; hostsPath: string; resolvConfPath: string },
  input: EtcFileInputs,
): Promise<void> {
  await writeFile(paths.hostnamePath, `${input.hostname}\n`, { mode: 0o644 });
  await writeFile(paths.hostsPath, await hostsContent(input), { mode: 0o644 });
  await writeFile(paths.resolvConfPath, await resolvConfContent(input), { mode: 0o644 });
}

async function hostsContent(input: EtcFileInputs): Promise<string> {
  if (input.networkMode === 'host') {
    const host = await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n');
    return host.endsWith('\n') ? host : host + '\n';
  }
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::\tip6-localnet',
    'ff00::\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const entry of input.extraHosts) {
    const idx = entry.indexOf(':');
    if (idx <= 0) continue;
    lines.push(`${entry.slice(idx + 1)}\t${entry.slice(0, idx)}`);
  }
  return lines.join('\n') + '\n';
}

/** Host resolv.conf without loopback resolvers (they mean nothing inside the container), as Docker filters it. */
async function resolvConfContent(input: EtcFileInputs): Promise<string> {
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  if (input.networkMode === 'host' && input.dns.length === 0 && input.dnsSearch.length === 0 && input.dnsOptions.length === 0) {
    return host;
  }
  const kept: string[] = [];
  let nameservers = 0;
  for (const line of host.split('\n')) {
    const t = line.trim();
    if (t.startsWith('nameserver')) {
      const addr = t.split(/\s+/)[1] ?? '';
      if (addr.startsWith('127.') || addr === '::1') continue;
      if (input.dns.length > 0 || input.dnsServer !== undefined) continue;
      nameservers++;
    }
    if ((t.startsWith('search') || t.startsWith('domain')) && input.dnsSearch.length > 0) continue;
    if (t.startsWith('options') && input.dnsOptions.length > 0) continue;
    if (t !== '') kept.push(t);
  }
  for (const ns of input.dns.length > 0 ? input.dns : input.dnsServer !== undefined ? [input.dnsServer] : []) kept.push(`nameserver ${ns}`);
  if (input.dnsSearch.length > 0) kept.push(`search ${input.dnsSearch.join(' ')}`);
  if (input.dnsOptions.length > 0) kept.push(`options ${input.dnsOptions.join(' ')}`);
  if (input.dns.length === 0 && input.dnsServer === undefined && nameservers === 0) {
    // Docker's fallback when the host has only loopback resolvers.
    kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  }
  return kept.join('\n') + '\n';
}

export function hostHostnameForContainer(): string {
  return hostHostname();
}
