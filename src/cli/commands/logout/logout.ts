import type { CommandSpec } from '../../argv/command-spec.js';
import { eraseAuth, serverKey } from '../login/docker-config.js';

export const logoutCommand: CommandSpec = {
  path: ['logout'],
  usage: '[SERVER]',
  description: 'Log out from a registry',
  args: { kind: 'max', count: 1 },
  flags: [],
  async run(ctx, _flags, args) {
    const server = serverKey(args[0]);
    if (await eraseAuth(ctx.env, server)) ctx.out(`Removing login credentials for ${server}\n`);
    else ctx.out(`Not logged in to ${server}\n`);
    return 0;
  },
};
