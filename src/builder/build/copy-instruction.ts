// COPY and ADD: resolve and hash the sources (context, another stage, URLs, heredocs), then copy them into a new layer.
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { CopyInstruction } from '../dockerfile/instructions.js';
import type { Heredoc } from '../dockerfile/parse-dockerfile.js';
import type { BuildBackend, BuildImage } from './build-backend.js';
import type { DockerfileBuildOptions } from './build-options.js';
import { BuildError, type ContextSource, hashSources, resolveContextSources } from './build-context.js';
import { copyIntoRootfs, writeHeredocFile } from './copy-into-rootfs.js';
import { type Downloaded, downloadUrl } from './download-url.js';
import { type StageState, stageShell } from './stage-state.js';
import type { StepCommitter } from './step-commit.js';
import { type WordExpander, expandHeredoc } from './word-expander.js';

export interface CopyStepContext {
  readonly backend: BuildBackend;
  readonly steps: StepCommitter;
  readonly words: WordExpander;
  readonly opts: Pick<DockerfileBuildOptions, 'contextDir' | 'scratchDir' | 'contextHashes' | 'signal' | 'stream'>;
  /** The image of an earlier stage, by name or index. */
  stageResult(ref: string): BuildImage | undefined;
  /** A local image, pulled when absent (or always when forcePull). */
  imageFor(ref: string, forcePull: boolean): Promise<BuildImage>;
}

interface CopySpec {
  cmd: string;
  destRaw: string;
  destIsDir: boolean;
  dest: string;
  chmod: number | undefined;
  chown: string | undefined;
  heredocSources: string[];
  fileSources: string[];
  urlSources: string[];
  scratch: string;
}

export async function copyStep(ctx: CopyStepContext, state: StageState, inst: CopyInstruction, env: Map<string, string>): Promise<void> {
  const { words, opts } = ctx;
  const cmd = inst.kind.toUpperCase();
  const destRaw = words.expand(inst.dest, env);
  const destIsDir = destRaw.endsWith('/') || destRaw === '.' || destRaw.endsWith('/.');
  const dest = posix.normalize(destRaw.startsWith('/') ? destRaw : posix.join(state.run.WorkingDir || '/', destRaw));
  const chmod = inst.chmod !== undefined ? parseChmod(words.expand(inst.chmod, env)) : undefined;
  const chown = inst.chown !== undefined ? words.expand(inst.chown, env) : undefined;
  const heredocSources = inst.sources.filter((s) => /^<<-?/.test(s));
  const fileSources = inst.sources.filter((s) => !/^<<-?/.test(s)).map((s) => words.expand(s, env));
  const urlSources = fileSources.filter((s) => /^https?:\/\//.test(s));
  if (urlSources.length > 0 && inst.kind === 'copy') throw new BuildError(`COPY failed: source can't be a URL for COPY`);
  if (urlSources.length > 0 && inst.from !== undefined) throw new BuildError(`ADD failed: source can't be a URL when using --from`);
  const localSources = fileSources.filter((s) => !/^https?:\/\//.test(s));
  const tag = `add-${randomBytes(6).toString('hex')}`;
  const scratch = opts.scratchDir !== undefined ? join(opts.scratchDir, tag) : `${opts.contextDir}.${tag}`;
  try {
    await copySources(ctx, state, inst, env, { cmd, destRaw, destIsDir, dest, chmod, chown, heredocSources, fileSources: localSources, urlSources, scratch });
  } finally {
    if (urlSources.length > 0) await rm(scratch, { recursive: true, force: true });
  }
}

async function copySources(ctx: CopyStepContext, state: StageState, inst: CopyInstruction, env: Map<string, string>, s: CopySpec): Promise<void> {
  const { backend, opts } = ctx;
  const { cmd, destRaw, destIsDir, dest, chmod, chown, heredocSources, fileSources, urlSources } = s;
  // ADD <url> downloads on every build (as Docker does): the content is part of the cache key
  const downloads: Downloaded[] = [];
  for (const [i, url] of urlSources.entries()) {
    downloads.push(await downloadUrl(url, join(s.scratch, String(i)), opts.signal));
  }
  // Docker's classic builder ends its download progress with an empty line
  if (downloads.length > 0) opts.stream('\n');
  const downloaded: ContextSource[] = downloads.map((d) => ({ rel: d.name, abs: d.path, isDir: false, download: true }));
  let known = opts.contextHashes;
  if (downloads.length > 0) {
    known = new Map(known ?? []);
    for (const d of downloads) known.set(d.path, d.sha256);
  }
  let fromImage: BuildImage | undefined;
  if (inst.from !== undefined) {
    const ref = ctx.words.expand(inst.from, env);
    fromImage = ctx.stageResult(ref.toLowerCase());
    if (!fromImage) {
      try {
        fromImage = await ctx.imageFor(ref, false);
      } catch (err) {
        throw new BuildError(`invalid from flag value ${ref}: ${(err as Error).message}`);
      }
    }
    if (fromImage.id === '') fromImage = await backend.commit(fromImage.config);
  }
  // Resolving and hashing happen before the cache probe, as the hash is part of the key.
  const withSources = async <T>(fn: (sources: ContextSource[]) => Promise<T>): Promise<T> => {
    if (fileSources.length === 0) return fn(downloaded);
    if (fromImage) return backend.withImageRootfs(fromImage, async (root) => fn(await resolveContextSources(root, fileSources, cmd)));
    return fn([...(await resolveContextSources(opts.contextDir, fileSources, cmd)), ...downloaded]);
  };
  const hash = await withSources(async (sources) => {
    const parts: string[] = [];
    if (sources.length > 0) parts.push(await hashSources(sources, fromImage ? undefined : known));
    for (const h of heredocSources) {
      const doc = heredocFor(inst, h);
      parts.push(`heredoc:${createHash('sha256').update(doc?.content ?? '').digest('hex')}`);
    }
    // a lone URL source shows as a bare hash in history, as in Docker
    if (parts.length === 1 && downloads.length === 1 && fileSources.length === 0) return (parts[0] as string).replace(/^file:/, '');
    return parts.length === 1 ? (parts[0] as string) : `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
  });
  await ctx.steps.ensureCommitted(state);
  const image = state.image;
  const createdBy = `${stageShell(state).join(' ')} #(nop) ${cmd} ${hash} in ${destRaw} `;
  const extra = JSON.stringify({
    chown: chown ?? '',
    chmod: chmod ?? '',
    from: fromImage?.id ?? '',
    ...(downloads.length > 0 ? { urls: downloads.map((d) => [d.name, d.mtime ?? null]) } : {}),
  });
  await ctx.steps.commitStep(
    state,
    state.run,
    { created_by: createdBy },
    () =>
      backend.modifyRootfs(image, async (root) => {
        const owner = chown !== undefined ? await backend.resolveOwner(root, chown) : { uid: 0, gid: 0 };
        const copyOpts = { dest, destIsDir: destIsDir || heredocSources.length + fileSources.length + urlSources.length > 1, ...owner, ...(chmod !== undefined ? { mode: chmod } : {}), extractArchives: inst.kind === 'add' && !fromImage };
        for (const h of heredocSources) {
          const doc = heredocFor(inst, h);
          if (!doc) throw new BuildError(`${cmd} failed: heredoc ${h} not found`);
          const content = doc.expand ? expandHeredoc(doc.content, env) : doc.content;
          await writeHeredocFile(root, doc.name, content, copyOpts);
        }
        await withSources((sources) => copyIntoRootfs(root, sources, copyOpts, cmd));
      }),
    extra,
  );
}

/** The heredoc a `<<NAME` (or `<<-"NAME"`) source names. */
function heredocFor(inst: CopyInstruction, source: string): Heredoc | undefined {
  return inst.heredocs.find((d) => `<<${d.name}` === source.replace(/^<<-/, '<<').replace(/["']/g, ''));
}

function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new BuildError(`invalid chmod parameter: ${text}`);
  return parseInt(text, 8);
}
