import type { CliContext } from '../cli-context.js';
import type { FlagValues } from '../argv/flag-parser.js';
import { ConnectionError } from '../../client/client-error.js';
import { CliExit, describeError } from '../cli-errors.js';
import { renderInspect } from '../format/inspect-output.js';

/**
 * The body of `network inspect` / `volume inspect`: GET each object at
 * `pathOf(name)`, print those found, then fail with every lookup error, as docker does.
 */
export async function inspectObjects(ctx: CliContext, flags: FlagValues, names: readonly string[], pathOf: (name: string) => string): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await ctx.client().transport.json('GET', pathOf(encodeURIComponent(name))));
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      errors.push(describeError(err));
    }
  }
  ctx.out(renderInspect(found, flags.string('format')));
  if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
  return 0;
}
