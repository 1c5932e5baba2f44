// The container's own line (and its legacy-link lines) in its /etc/hosts.
import { readFile, writeFile } from 'node:fs/promises';
import type { ContainerRecord } from '../containers/container-model.js';

export async function writeHostsEntry(c: ContainerRecord, ip: string, linkLines: readonly string[] = []): Promise<void> {
  const current = await readFile(c.runtime.hostsPath, 'utf8').catch(() => '');
  const names = c.config.Domainname !== '' ? `${c.config.Hostname}.${c.config.Domainname} ${c.config.Hostname}` : c.config.Hostname;
  // A restart rewrites the link lines: the linked containers may have new addresses.
  const linkNames = new Set(linkLines.map((l) => l.slice(l.indexOf('\t'))));
  const kept = current.split('\n').filter((l) => l !== '' && !l.endsWith(`\t${names}`) && !linkNames.has(l.slice(l.indexOf('\t'))));
  await writeFile(c.runtime.hostsPath, [...kept, ...linkLines, `${ip}\t${names}`].join('\n') + '\n');
}
