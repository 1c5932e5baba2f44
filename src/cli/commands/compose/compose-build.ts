import { readJsonLines } from '../../../client/json-lines.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit } from '../../cli-errors.js';
import { contextTarStream } from '../build/context-tar.js';

/** Builds one service's image from its context directory (classic builder through POST /build), tagged `tag`. */
export async function buildServiceImage(ctx: CliContext, build: { context: string; dockerfile?: string }, tag: string): Promise<void> {
  const dockerfile = build.dockerfile ?? 'Dockerfile';
  const body = contextTarStream(build.context, { keep: [dockerfile, '.dockerignore'] });
  const res = await ctx.client().transport.request('POST', '/build', { query: { t: [tag], dockerfile, rm: true }, body, contentType: 'application/x-tar' });
  for await (const msg of readJsonLines<{ stream?: string; error?: string; errorDetail?: { message?: string } }>(res)) {
    const failure = msg.errorDetail?.message ?? msg.error;
    if (failure !== undefined) throw new CliExit(1, `failed to build ${tag}: ${failure}`);
    if (msg.stream !== undefined) ctx.err(msg.stream);
  }
}
