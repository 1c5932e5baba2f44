import { ClientError, ConnectionError, isNotFound } from '../../../client/client-error.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { renderInspect } from '../../format/inspect-output.js';

export type InspectType = 'container' | 'image';

export interface InspectOptions {
  refs: string[];
  /** Object types to try, in order (generic inspect tries container, then image). */
  types: InspectType[];
  format: string | undefined;
  size: boolean;
}

async function fetchOne(ctx: CliContext, type: InspectType, ref: string, size: boolean): Promise<unknown> {
  const client = ctx.client();
  if (type === 'container') return client.containers.inspectRaw(ref, { size });
  return client.transport.json('GET', `/images/${encodeURIComponent(ref)}/json`);
}

/** Prints what was found, then fails with one line per missing object (docker prints `[]` plus the errors). */
export async function inspectObjects(ctx: CliContext, opts: InspectOptions): Promise<number> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const ref of opts.refs) {
    let element: unknown;
    let lastError: unknown;
    for (const type of opts.types) {
      try {
        element = await fetchOne(ctx, type, ref, opts.size);
        break;
      } catch (err) {
        if (err instanceof ConnectionError) {
          // docker still prints the (empty) result before the connection error.
          ctx.out(renderInspect(found, opts.format));
          throw err;
        }
        if (!(err instanceof ClientError)) throw err;
        lastError = err;
        if (!isNotFound(err)) break;
      }
    }
    if (element !== undefined) found.push(element);
    else if (opts.types.length > 1 && isNotFound(lastError)) errors.push(`Error: No such object: ${ref}`);
    else errors.push(describeError(lastError));
  }
  ctx.out(renderInspect(found, opts.format));
  if (errors.length > 0) throw new CliExit(1, errors.join('\n'));
  return 0;
}

export const inspectCommand: CommandSpec = {
  path: ['inspect'],
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  args: { kind: 'min', count: 1 },
  flags: [
    formatFlag('f'),
    { long: 'size', short: 's', kind: 'bool', description: 'Display total file sizes if the type is container' },
    { long: 'type', kind: 'string', description: 'Only inspect objects of the given type' },
  ],
  run(ctx, flags, args) {
    const type = flags.string('type');
    if (type !== undefined && type !== '' && type !== 'container' && type !== 'image') {
      throw new Error(`"${type}" is not a valid value for --type`);
    }
    return inspectObjects(ctx, {
      refs: args,
      types: type ? [type] : ['container', 'image'],
      format: flags.string('format'),
      size: flags.bool('size'),
    });
  },
};
