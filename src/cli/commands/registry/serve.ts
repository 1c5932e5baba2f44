import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CommandSpec } from '../../argv/command-spec.js';

export const registryServeCommand: CommandSpec = {
  path: ['registry', 'serve'],
  usage: '[OPTIONS]',
  description: 'Serve an OCI distribution registry',
  args: { kind: 'none' },
  flags: [
    { long: 'addr', kind: 'string', description: 'Address to listen on (host:port)' },
    { long: 'storage', kind: 'string', description: 'Directory for the registry storage' },
    { long: 'config', kind: 'string', description: 'Config file (JSON): auth.htpasswd {path, realm}, auth.anonymousPull, auth.token {service, realm, secret}, tls {certificate, key}' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'No access log' },
  ],
  async run(ctx, flags) {
    const storage = flags.string('storage');
    if (!storage) {
      ctx.err('berth registry serve: --storage DIR is required\n');
      return 1;
    }
    const configFile = flags.string('config');
    const config = configFile ? (JSON.parse(await readFile(configFile, 'utf8')) as unknown) : {};
    const quiet = flags.bool('quiet');
    // The one engine-side module the CLI uses (the server runs in-process, without berthd); loaded
    // only here, so every other command starts without it.
    const { startRegistry } = await import('../../../registry/server/start-registry.js');
    const registry = await startRegistry({
      addr: flags.string('addr') ?? '127.0.0.1:5000',
      storage,
      config,
      ...(configFile ? { configDir: dirname(configFile) } : {}),
      ...(quiet ? {} : { log: (line: string) => ctx.err(line) }),
    });
    ctx.out(`berth registry listening on ${registry.address}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await registry.close();
    return 0;
  },
};
