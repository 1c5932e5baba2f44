import { parseKeyValues } from '../../argv/common-flags.js';
import { createReadStream } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Readable, Transform, pipeline } from 'node:stream';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { CommandSpec } from '../../argv/command-spec.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit } from '../../cli-errors.js';
import { humanSize } from '../../format/human-size.js';
import { readJsonLines, type JsonMessage } from '../../../client/json-lines.js';
import { registryConfigHeader } from '../login/docker-config.js';
import { parseMemory } from '../container/container-flags.js';
import { contextTarStream, dockerfileTar, peekArchive } from './context-tar.js';

export interface BuildOptions {
  context: string;
  tags: string[];
  file: string | undefined;
  buildArgs: string[];
  target: string | undefined;
  noCache: boolean;
  pull: boolean;
  labels: string[];
  quiet: boolean;
  iidfile: string | undefined;
  network: string | undefined;
  addHosts: string[];
  platform: string | undefined;
  rm: boolean;
  forceRm: boolean;
  /** RUN step limits, sent as the query parameters docker build sends. */
  resources: Record<string, string | undefined>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * The context tar as a stream straight into the request body (nothing is
 * written to disk, so an interrupted CLI leaves nothing behind), and the
 * Dockerfile's name inside it.
 */
async function prepareContext(ctx: CliContext, opts: BuildOptions): Promise<{ body: Readable; dockerfile?: string }> {
  if (opts.context === '-') {
    if (opts.file === '-') throw new CliExit(1, 'invalid argument: can\'t use stdin for both build context and dockerfile');
    const { archive, stream } = await peekArchive(ctx.stdin);
    if (archive) return { body: stream, ...(opts.file ? { dockerfile: opts.file } : {}) };
    return { body: Readable.from([await dockerfileTar(await readAll(stream))]) };
  }
  const dir = resolve(opts.context);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new CliExit(1, `unable to prepare context: path "${opts.context}" not found`);
  if (st.isFile()) {
    // berth extension: a local tarball as the context
    return { body: createReadStream(dir), ...(opts.file ? { dockerfile: opts.file } : {}) };
  }
  let extra: { name: string; content: Buffer } | undefined;
  let dockerfile = 'Dockerfile';
  // node:crypto costs a few ms to load: only these two cases need it
  const randomName = async (): Promise<string> => `.dockerfile.${(await import('node:crypto')).randomBytes(10).toString('hex')}`;
  if (opts.file === '-') {
    extra = { name: await randomName(), content: await readAll(ctx.stdin) };
    dockerfile = extra.name;
  } else if (opts.file !== undefined) {
    const abs = isAbsolute(opts.file) ? opts.file : resolve(opts.file);
    const rel = relative(dir, abs);
    if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      const content = await readFile(abs).catch(() => {
        throw new CliExit(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`);
      });
      extra = { name: await randomName(), content };
      dockerfile = extra.name;
    } else {
      dockerfile = rel.split(sep).join('/');
    }
  }
  if (extra === undefined) {
    const df = await stat(join(dir, dockerfile)).catch(() => undefined);
    if (!df) throw new CliExit(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(dir, dockerfile)}: no such file or directory`);
  }
  return { body: contextTarStream(dir, { keep: [dockerfile, '.dockerignore'], ...(extra ? { extra } : {}) }), dockerfile };
}

/** Counts the bytes passing through and reports the total when the stream ends (docker's "Sending build context" line). */
function counting(onEnd: (size: number) => void): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      onEnd(size);
      cb();
    },
  });
}

export async function buildImage(ctx: CliContext, opts: BuildOptions): Promise<number> {
  if (opts.iidfile) await rm(opts.iidfile, { force: true });
  const prepared = await prepareContext(ctx, opts);
  const progress = opts.quiet ? undefined : ctx.stdout;
  const body = counting((size) => progress?.write(`Sending build context to Docker daemon  ${humanSize(size, 4)}\n`));
  // A failure of the context reaches the request through `body`; a failed request stops the context producer.
  pipeline(prepared.body, body, () => undefined);
  const buildArgs: Record<string, string | null> = {};
  for (const a of opts.buildArgs) {
    const eq = a.indexOf('=');
    if (eq >= 0) buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
    else buildArgs[a] = ctx.env[a] ?? null;
  }
  const labels = parseKeyValues(opts.labels);
  const res = await ctx.client().transport.request('POST', '/build', {
    query: {
      t: opts.tags,
      dockerfile: prepared.dockerfile,
      buildargs: JSON.stringify(buildArgs),
      labels: JSON.stringify(labels),
      target: opts.target || undefined,
      nocache: opts.noCache || undefined,
      pull: opts.pull || undefined,
      q: opts.quiet || undefined,
      rm: opts.rm,
      forcerm: opts.forceRm || undefined,
      networkmode: opts.network || undefined,
      extrahosts: opts.addHosts.length > 0 ? opts.addHosts : undefined,
      platform: opts.platform || undefined,
      ...opts.resources,
      version: '1',
    },
    body,
    contentType: 'application/x-tar',
    headers: { 'X-Registry-Config': await registryConfigHeader(ctx.env) },
  });
  let imageId: string | undefined;
  let quietOut = '';
  for await (const msg of readJsonLines<JsonMessage>(res)) {
    if (msg.error !== undefined || msg.errorDetail?.message !== undefined) {
      if (opts.quiet) ctx.stderr.write(quietOut);
      const code = msg.errorDetail?.code ?? 0;
      throw new CliExit(code === 0 ? 1 : code, msg.errorDetail?.message ?? msg.error ?? 'unknown error');
    }
    if (msg.aux !== undefined) {
      const id = (msg.aux as { ID?: string }).ID;
      if (typeof id === 'string') imageId = id;
      continue;
    }
    if (msg.stream !== undefined) {
      if (opts.quiet) quietOut += msg.stream;
      else ctx.stdout.write(msg.stream);
    }
  }
  if (opts.quiet) ctx.stdout.write(quietOut);
  if (opts.iidfile && imageId !== undefined) await writeFile(opts.iidfile, imageId);
  return 0;
}

export const buildCommand: CommandSpec = {
  path: ['image', 'build'],
  aliases: [['build'], ['builder', 'build']],
  usage: '[OPTIONS] PATH | URL | -',
  description: 'Build an image from a Dockerfile',
  args: { kind: 'exact', count: 1 },
  flags: [
    { long: 'add-host', kind: 'list', description: 'Add a custom host-to-IP mapping ("host:ip")' },
    { long: 'cpu-period', kind: 'string', description: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
    { long: 'cpu-quota', kind: 'string', description: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
    { long: 'cpu-shares', short: 'c', kind: 'string', description: 'CPU shares (relative weight)' },
    { long: 'cpuset-cpus', kind: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)' },
    { long: 'memory', short: 'm', kind: 'string', description: 'Memory limit' },
    { long: 'memory-swap', kind: 'string', description: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
    { long: 'shm-size', kind: 'string', description: 'Size of /dev/shm' },
    { long: 'build-arg', kind: 'list', description: 'Set build-time variables' },
    { long: 'file', short: 'f', kind: 'string', description: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
    { long: 'force-rm', kind: 'bool', description: 'Always remove intermediate containers' },
    { long: 'iidfile', kind: 'string', description: 'Write the image ID to the file' },
    { long: 'label', kind: 'list', description: 'Set metadata for an image' },
    { long: 'network', kind: 'string', description: 'Set the networking mode for the RUN instructions during build', defaultValue: 'default' },
    { long: 'no-cache', kind: 'bool', description: 'Do not use cache when building the image' },
    { long: 'platform', kind: 'string', description: 'Set platform if server is multi-platform capable' },
    { long: 'pull', kind: 'bool', description: 'Always attempt to pull a newer version of the image' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the build output and print image ID on success' },
    { long: 'rm', kind: 'bool', description: 'Remove intermediate containers after a successful build', defaultValue: true },
    { long: 'tag', short: 't', kind: 'list', description: 'Name and optionally a tag in the "name:tag" format' },
    { long: 'target', kind: 'string', description: 'Set the target build stage to build.' },
  ],
  async run(ctx, flags, args) {
    return buildImage(ctx, {
      context: args[0] ?? '.',
      tags: flags.list('tag'),
      file: flags.string('file'),
      buildArgs: flags.list('build-arg'),
      target: flags.string('target'),
      noCache: flags.bool('no-cache'),
      pull: flags.bool('pull'),
      labels: flags.list('label'),
      quiet: flags.bool('quiet'),
      iidfile: flags.string('iidfile'),
      network: flags.string('network'),
      addHosts: flags.list('add-host'),
      platform: flags.string('platform'),
      rm: flags.bool('rm'),
      forceRm: flags.bool('force-rm'),
      resources: buildResources(flags),
    });
  },
};

/** The docker CLI's build resource flags as query parameters (sizes in bytes, go-units notation; -1 swap is unlimited). */
function buildResources(flags: { string(name: string): string | undefined }): Record<string, string | undefined> {
  const bytes = (name: string): string | undefined => {
    const v = flags.string(name);
    if (v === undefined || v === '') return undefined;
    return v === '-1' ? '-1' : String(parseMemory(v));
  };
  return {
    memory: bytes('memory'),
    memswap: bytes('memory-swap'),
    cpushares: flags.string('cpu-shares'),
    cpusetcpus: flags.string('cpuset-cpus'),
    cpuperiod: flags.string('cpu-period'),
    cpuquota: flags.string('cpu-quota'),
    shmsize: bytes('shm-size'),
  };
}
