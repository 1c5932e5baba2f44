import { writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { ClientError } from '../../../client/client-error.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { describeError, CliExit } from '../../cli-errors.js';
import { familiarName, parseReference, validateAnyReference } from '../../format/image-reference.js';
import { pullImage } from '../image/pull-image.js';
import { buildCreateOptions, CREATE_FLAGS, type CreateOptions } from './container-flags.js';

function familiarTagged(ref: string): string {
  const p = parseReference(ref);
  if (p.digest) return `${familiarName(p.name)}@${p.digest}`;
  return `${familiarName(p.name)}:${p.tag ?? 'latest'}`;
}

function isMissingImage(err: unknown): boolean {
  return err instanceof ClientError && err.status === 404 && /no such image/i.test(err.message);
}

/**
 * Creates the container, pulling the image first when --pull says so or when the daemon does not have it
 * (printing docker's "Unable to find image … locally" and the pull progress to `progress`). Returns the id.
 */
export async function createContainer(ctx: CliContext, opts: CreateOptions, progress: Writable): Promise<string> {
  validateAnyReference(opts.image);
  const pull = (): Promise<void> =>
    pullImage(ctx, opts.image, { out: progress, quiet: opts.quiet, ...(opts.platform ? { platform: opts.platform } : {}) });
  if (opts.pull === 'always') await pull();
  const create = () =>
    ctx.client().containers.create(opts.request, {
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.platform ? { platform: opts.platform } : {}),
    });
  let created;
  try {
    created = await create();
  } catch (err) {
    if (!isMissingImage(err) || opts.pull !== 'missing') throw err;
    progress.write(`Unable to find image '${familiarTagged(opts.image)}' locally\n`);
    await pull();
    created = await create();
  }
  for (const w of created.Warnings ?? []) ctx.err(`WARNING: ${w}\n`);
  if (opts.cidfile) writeFileSync(opts.cidfile, created.Id, { flag: 'wx' });
  return created.Id;
}

export const createCommand: CommandSpec = {
  path: ['container', 'create'],
  aliases: [['create']],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  args: { kind: 'min', count: 1 },
  stopAtFirstArg: true,
  flags: CREATE_FLAGS,
  async run(ctx, flags, args) {
    let opts: CreateOptions;
    try {
      opts = buildCreateOptions(flags, args, ctx.env, { detach: false });
    } catch (err) {
      throw new CliExit(125, describeError(err));
    }
    const id = await createContainer(ctx, opts, ctx.stderr);
    ctx.out(`${id}\n`);
    return 0;
  },
};
