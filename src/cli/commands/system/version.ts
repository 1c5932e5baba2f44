import type { SystemVersion } from '../../../client/wire-types.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { goJson } from '../../format/go-template.js';
import { parseTemplate } from '../../format/row-format.js';
import { tabFormat } from '../../format/tab-writer.js';
import { clientVersion } from './client-info.js';

function clientSection(c: Record<string, string>): string {
  const downgraded = c['ApiVersion'] !== c['DefaultAPIVersion'] ? ` (downgraded from ${c['DefaultAPIVersion']})` : '';
  return [
    'Client:',
    ` Version:\t${c['Version']}`,
    ` API version:\t${c['ApiVersion']}${downgraded}`,
    ` Go version:\t${c['GoVersion']}`,
    ` Git commit:\t${c['GitCommit']}`,
    ` Built:\t${c['BuildTime']}`,
    ` OS/Arch:\t${c['Os']}/${c['Arch']}`,
    ` Context:\t${c['Context']}`,
  ].join('\n');
}

function serverSection(s: SystemVersion): string {
  const lines = [`Server:${s.Platform?.Name ? ` ${s.Platform.Name}` : ''}`];
  const components = s.Components ?? [{ Name: 'Engine', Version: s.Version, Details: {} }];
  for (const comp of components) {
    lines.push(` ${comp.Name}:`);
    const d = comp.Details ?? {};
    if (comp.Name === 'Engine') {
      lines.push(
        `  Version:\t${comp.Version}`,
        `  API version:\t${d['ApiVersion'] ?? s.ApiVersion} (minimum version ${d['MinAPIVersion'] ?? s.MinAPIVersion ?? ''})`,
        `  Go version:\t${d['GoVersion'] ?? s.GoVersion}`,
        `  Git commit:\t${d['GitCommit'] ?? s.GitCommit}`,
        `  Built:\t${d['BuildTime'] ?? s.BuildTime ?? ''}`,
        `  OS/Arch:\t${d['Os'] ?? s.Os}/${d['Arch'] ?? s.Arch}`,
        `  Experimental:\t${d['Experimental'] ?? String(s.Experimental ?? false)}`,
      );
    } else {
      lines.push(`  Version:\t${comp.Version}`);
      for (const key of Object.keys(d)) lines.push(`  ${key}:\t${d[key] ?? ''}`);
    }
  }
  return lines.join('\n');
}

export async function showVersion(ctx: CliContext, format: string | undefined): Promise<number> {
  const client = ctx.client();
  let server: SystemVersion | undefined;
  let serverError: unknown;
  let apiVersion = '';
  try {
    apiVersion = await client.transport.apiVersion();
    server = await client.system.version();
  } catch (err) {
    serverError = err;
  }
  const c = clientVersion(apiVersion || clientVersion('').DefaultAPIVersion || '');
  const data = { Client: c, Server: server ?? null };
  if (format) {
    const text = format === 'json' ? goJson(data) : parseTemplate(format).execute(data);
    ctx.out(`${text}\n`);
  } else {
    let text = `${clientSection(c)}\n`;
    if (server) text += `\n${serverSection(server)}\n`;
    ctx.out(tabFormat(text, { minWidth: 20, padding: 1 }));
  }
  if (serverError) throw new CliExit(1, describeError(serverError));
  return 0;
}

export const versionCommand: CommandSpec = {
  path: ['version'],
  usage: '[OPTIONS]',
  description: 'Show the Docker version information',
  args: { kind: 'none' },
  flags: [formatFlag('f')],
  run(ctx, flags) {
    return showVersion(ctx, flags.string('format'));
  },
};
