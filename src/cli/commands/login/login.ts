import type { CommandSpec } from '../../argv/command-spec.js';
import { storeAuth } from './docker-config.js';

async function readStdin(ctx: { stdin: NodeJS.ReadableStream }): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const loginCommand: CommandSpec = {
  path: ['login'],
  usage: '[OPTIONS] [SERVER]',
  description: 'Authenticate to a registry',
  args: { kind: 'max', count: 1 },
  flags: [
    { long: 'username', short: 'u', kind: 'string', description: 'Username' },
    { long: 'password', short: 'p', kind: 'string', description: 'Password or Personal Access Token (PAT)' },
    { long: 'password-stdin', kind: 'bool', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
  ],
  async run(ctx, flags, args) {
    const server = args[0] ?? 'https://index.docker.io/v1/';
    const username = flags.string('username');
    let password = flags.string('password');
    if (flags.bool('password-stdin')) {
      if (password) {
        ctx.err('--password and --password-stdin are mutually exclusive\n');
        return 1;
      }
      if (!username) {
        ctx.err('Must provide --username with --password-stdin\n');
        return 1;
      }
      password = await readStdin(ctx);
    } else if (password) {
      ctx.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username || password === undefined) {
      ctx.err('Error: Cannot perform an interactive login from a non TTY device\n');
      return 1;
    }
    const res = await ctx.client().transport.json<{ Status: string }>('POST', '/auth', { json: { username, password, serveraddress: server } });
    const path = await storeAuth(ctx.env, server, username, password);
    ctx.err(`WARNING! Your credentials are stored unencrypted in '${path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    ctx.out(`${res.Status}\n`);
    return 0;
  },
};
