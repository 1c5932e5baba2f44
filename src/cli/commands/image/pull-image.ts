import type { Writable } from 'node:stream';
import type { CliContext } from '../../cli-context.js';
import { displayJsonMessages } from '../../format/json-progress.js';
import { parseReference } from '../../format/image-reference.js';
import { registryAuthFor } from '../login/docker-config.js';

/** Pulls `ref` (tag defaults to latest), printing progress to `out`; throws on any error. */
export async function pullImage(ctx: CliContext, ref: string, options: { platform?: string; out: Writable; quiet?: boolean }): Promise<void> {
  const p = parseReference(ref);
  const at = ref.indexOf('@');
  let image = at >= 0 ? ref.slice(0, at) : ref;
  let tag: string | undefined = p.tag ?? 'latest';
  if (p.digest) {
    tag = p.digest;
  }
  if (p.tag) image = image.slice(0, image.length - p.tag.length - 1);
  const registryAuth = await registryAuthFor(ctx.env, image);
  const res = await ctx.client().images.pull(image, tag, { registryAuth, ...(options.platform ? { platform: options.platform } : {}) });
  const sink = options.quiet ? nullSink() : options.out;
  await displayJsonMessages(res, sink);
}

function nullSink(): Writable {
  return { write: () => true } as unknown as Writable;
}
