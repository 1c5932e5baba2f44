import type { CommandSpec } from '../../argv/command-spec.js';
import type { BerthClient } from '../../../client/berth-client.js';
import { forEachTarget } from '../../cli-errors.js';

type StopVerb = 'stop' | 'restart';

/** `stop` and `restart` share their flags and their loop; only the API call differs. */
export function stopLikeCommand(verb: StopVerb, description: string): CommandSpec {
  return {
    path: ['container', verb],
    aliases: [[verb]],
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description,
    args: { kind: 'min', count: 1 },
    flags: [
      { long: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' },
      { long: 'timeout', short: 't', kind: 'int', description: 'Seconds to wait before killing the container' },
      { long: 'time', kind: 'int', description: 'Seconds to wait before killing the container (deprecated)', hidden: true },
    ],
    async run(ctx, flags, args) {
      const timeout = flags.int('timeout') ?? flags.int('time');
      const signal = flags.string('signal');
      const options = { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) };
      const client: BerthClient = ctx.client();
      await forEachTarget(args, async (name) => {
        await client.containers[verb](name, options);
        ctx.out(`${name}\n`);
      });
      return 0;
    },
  };
}
