import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ImageConfig, ImageHistoryEntry, ImageRunConfig } from '../../images/image-config.js';
import {
  type ArgInstruction,
  type CopyInstruction,
  type DockerfilePlan,
  type Instruction,
  type Stage,
  parseInstruction,
  planDockerfile,
} from '../dockerfile/instructions.js';
import { DockerfileParseError, parseDockerfile } from '../dockerfile/parse-dockerfile.js';
import { ExpansionError, processWord, processWords } from '../dockerfile/shell-words.js';
import type { BuildBackend, BuildImage } from './build-backend.js';
import { BuildError, type ContentHashes, type ContextSource, hashSources, resolveContextSources } from './build-context.js';
import { copyIntoRootfs, writeHeredocFile } from './copy-into-rootfs.js';
import { type Downloaded, downloadUrl } from './download-url.js';
import { emptyImageConfig, envToMap, goDuration, goList, goQuoteList, normaliseRunConfig, setEnv } from './run-config.js';

export interface DockerfileBuildOptions {
  readonly dockerfile: string;
  readonly contextDir: string;
  /** Where ADD <url> downloads go while their step runs (removed after it); default: next to the context. */
  readonly scratchDir?: string;
  /** File hashes taken while unpacking the context (by absolute path). */
  readonly contextHashes?: ContentHashes;
  /** `--build-arg`; null means "declared without a value". */
  readonly buildArgs: Readonly<Record<string, string | null>>;
  readonly target?: string;
  readonly noCache: boolean;
  /** `--pull`: fetch base images from their registry even when present locally. */
  readonly pull?: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly networkMode?: string;
  readonly extraHosts: readonly string[];
  readonly architecture: string;
  readonly os: string;
  /** Aborted when the client went away: the build stops at the next step, a running RUN is killed. */
  readonly signal?: AbortSignal;
  /** Progress text, Docker's classic-builder lines. */
  readonly stream: (text: string) => void;
  /** Docker's `rm` (default true): remove a step's container after it succeeded. */
  readonly rm?: boolean;
  /** Docker's `forcerm`: remove a step's container even when it failed. */
  readonly forceRm?: boolean;
}

const DEFAULT_SHELL = ['/bin/sh', '-c'];

interface StageState {
  image: BuildImage;
  config: ImageConfig;
  run: ImageRunConfig;
  /** ARGs in scope with their values (undefined: declared without one). */
  args: Map<string, string | undefined>;
  cmdSet: boolean;
}

/**
 * The classic builder: parses the Dockerfile, works out which stages the
 * target needs, and dispatches each instruction, committing an image per step
 * (reusing cached steps). Returns the final image id.
 */
export class DockerfileBuilder {
  private readonly stageResults = new Map<string, BuildImage>();
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly consumed = new Set<string>();
  private step = 0;
  private total = 0;
  private escape = '\\';

  constructor(
    private readonly backend: BuildBackend,
    private readonly opts: DockerfileBuildOptions,
  ) {}

  /** Parses and validates without building (errors here come before any output, as in Docker). */
  static plan(dockerfile: string): DockerfilePlan {
    return planDockerfile(parseDockerfile(dockerfile));
  }

  async build(plan: DockerfilePlan): Promise<string> {
    this.escape = plan.escape;
    const stages = plan.stages;
    let targetIndex = stages.length - 1;
    if (this.opts.target !== undefined && this.opts.target !== '') {
      targetIndex = stages.findIndex((s) => s.name === this.opts.target?.toLowerCase());
      if (targetIndex < 0) throw new BuildError(`failed to reach build target ${this.opts.target} in Dockerfile`);
    }
    for (const meta of plan.metaArgs) this.declareMetaArgs(meta, true);
    const needed = this.neededStages(stages, targetIndex);
    const labelKeys = Object.keys(this.opts.labels);
    this.total = plan.metaArgs.length + stages.filter((s) => needed.has(s.index)).reduce((n, s) => n + 1 + s.commands.length, 0) + (labelKeys.length > 0 ? 1 : 0);
    this.metaArgs.clear();
    for (const meta of plan.metaArgs) {
      this.printStep(meta.node.original);
      this.declareMetaArgs(meta, false);
    }
    let final: BuildImage | undefined;
    for (const stage of stages) {
      if (!needed.has(stage.index)) continue;
      const commands = [...stage.commands];
      if (stage.index === targetIndex && labelKeys.length > 0) {
        // Docker's classic builder appends the --label values as one more LABEL step
        const text = `LABEL ${labelKeys.map((k) => `${JSON.stringify(k)}='${this.opts.labels[k] ?? ''}'`).join(' ')}`;
        const node = parseDockerfile(text).nodes[0];
        if (node) commands.push(parseInstruction(node));
      }
      final = await this.buildStage(stage, commands);
      if (stage.index === targetIndex) break;
    }
    if (!final) throw new BuildError('no build stage in current context');
    if (final.id === '') final = await this.backend.commit(final.config);
    const unused = Object.keys(this.opts.buildArgs).filter((k) => !this.consumed.has(k) && !PREDEFINED_ARGS.has(k));
    if (unused.length > 0) this.opts.stream(`[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed\n`);
    return final.id;
  }

  private declareMetaArgs(inst: ArgInstruction, dryRun: boolean): void {
    for (const a of inst.args) {
      const given = this.opts.buildArgs[a.name];
      let value: string | undefined = a.value === undefined ? undefined : this.expand(a.value, this.metaEnv());
      if (given !== undefined && given !== null) value = given;
      this.metaArgs.set(a.name, value);
      if (!dryRun && given !== undefined) this.consumed.add(a.name);
    }
  }

  private metaEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.metaArgs) if (v !== undefined) m.set(k, v);
    return m;
  }

  private neededStages(stages: readonly Stage[], target: number): Set<number> {
    const needed = new Set<number>();
    const byName = (ref: string): Stage | undefined => {
      const lower = ref.toLowerCase();
      const named = stages.find((s) => s.name === lower);
      if (named) return named;
      return /^\d+$/.test(ref) ? stages[Number(ref)] : undefined;
    };
    const visit = (i: number): void => {
      if (needed.has(i)) return;
      needed.add(i);
      const s = stages[i] as Stage;
      const fromRef = this.expandSafe(s.from.image, this.metaEnv());
      const fromStage = stages.slice(0, i).find((x) => x.name === fromRef.toLowerCase());
      if (fromStage) visit(fromStage.index);
      for (const c of s.commands) {
        if (c.kind === 'copy' && c.from !== undefined) {
          const dep = byName(c.from);
          if (dep && dep.index < i) visit(dep.index);
        }
      }
    };
    visit(target);
    return needed;
  }

  private printStep(original: string): void {
    this.opts.signal?.throwIfAborted();
    this.step++;
    this.opts.stream(`Step ${this.step}/${this.total} : ${original}\n`);
  }

  private async buildStage(stage: Stage, commands: readonly Instruction[]): Promise<BuildImage> {
    this.printStep(stage.from.node.original);
    const state = await this.initStage(stage);
    this.opts.stream(` ---> ${shortId(state.image.id)}\n`);
    const triggers = state.run.OnBuild ?? [];
    if (triggers.length > 0) {
      state.run = { ...state.run, OnBuild: null };
      this.opts.stream(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
      for (const t of triggers) {
        const node = parseDockerfile(t).nodes[0];
        if (node) await this.dispatch(state, parseInstruction(node));
      }
    }
    for (const inst of commands) {
      this.printStep(inst.node.original);
      await this.dispatch(state, inst);
      this.opts.stream(` ---> ${shortId(state.image.id)}\n`);
    }
    if (stage.name !== undefined) this.stageResults.set(stage.name, state.image);
    this.stageResults.set(String(stage.index), state.image);
    return state.image;
  }

  private async initStage(stage: Stage): Promise<StageState> {
    const ref = this.expand(stage.from.image, this.metaEnv());
    if (stage.from.platform !== undefined) {
      const platform = this.expand(stage.from.platform, this.metaEnv());
      if (platform !== '' && !platform.startsWith('linux')) throw new BuildError(`operating system is not supported: ${platform.split('/')[0] ?? ''}`);
    }
    let image: BuildImage;
    const fromStage = this.stageResults.get(ref.toLowerCase());
    if (fromStage && !/^\d+$/.test(ref)) image = fromStage;
    else if (ref === 'scratch') image = { id: '', config: emptyImageConfig(this.opts.architecture, this.opts.os) };
    else image = await this.imageFor(ref, this.opts.pull === true);
    const config: ImageConfig = { ...image.config, history: [...(image.config.history ?? [])] };
    return { image, config, run: { ...(image.config.config ?? {}) }, args: new Map(), cmdSet: false };
  }

  /** A local image, pulled when absent (or always with --pull), as Docker's classic builder does. */
  private async imageFor(ref: string, forcePull: boolean): Promise<BuildImage> {
    const local = this.backend.findImage(ref);
    if (local && !forcePull) return local;
    try {
      return await this.backend.pullImage(ref, {
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        progress: (line) => this.opts.stream(line),
      });
    } catch (err) {
      throw new BuildError((err as Error).message);
    }
  }

  private env(state: StageState): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of state.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of envToMap(state.run.Env)) m.set(k, v);
    return m;
  }

  private expand(word: string, env: Map<string, string>): string {
    try {
      return processWord(word, env, this.escape);
    } catch (err) {
      if (err instanceof ExpansionError) throw new BuildError(err.message);
      throw err;
    }
  }

  private expandSafe(word: string, env: Map<string, string>): string {
    try {
      return processWord(word, env, this.escape);
    } catch {
      return word;
    }
  }

  private words(text: string, env: Map<string, string>): string[] {
    try {
      return processWords(text, env, this.escape);
    } catch (err) {
      if (err instanceof ExpansionError) throw new BuildError(err.message);
      throw err;
    }
  }

  private shell(state: StageState): string[] {
    return state.run.Shell && state.run.Shell.length > 0 ? [...state.run.Shell] : DEFAULT_SHELL;
  }

  /** Build args in scope that ENV does not override, `K=V`, sorted (Docker's FilterAllowed + prependEnvOnCmd). */
  private argEnv(state: StageState): string[] {
    const env = envToMap(state.run.Env);
    const out: string[] = [];
    for (const [k, v] of state.args) if (v !== undefined && !env.has(k)) out.push(`${k}=${v}`);
    return out.sort();
  }

  private async dispatch(state: StageState, inst: Instruction): Promise<void> {
    const env = this.env(state);
    switch (inst.kind) {
      case 'from':
        throw new BuildError('FROM is not allowed here');
      case 'env': {
        let e = state.run.Env ?? [];
        const parts: string[] = [];
        for (const p of inst.pairs) {
          const key = this.expand(p.key, this.env({ ...state, run: { ...state.run, Env: e } }));
          const value = this.expand(p.value, this.env({ ...state, run: { ...state.run, Env: e } }));
          e = setEnv(e, key, value);
          parts.push(`${key}=${value}`);
        }
        return this.commitMeta(state, { ...state.run, Env: e }, `ENV ${parts.join(' ')}`);
      }
      case 'label': {
        const labels = { ...(state.run.Labels ?? {}) };
        const parts: string[] = [];
        for (const p of inst.pairs) {
          const key = this.expand(p.key, env);
          const value = this.expand(p.value, env);
          labels[key] = value;
          parts.push(`${key}=${value}`);
        }
        return this.commitMeta(state, { ...state.run, Labels: labels }, `LABEL ${parts.join(' ')}`);
      }
      case 'maintainer':
        state.config = { ...state.config, author: inst.value };
        return this.commitMeta(state, state.run, `MAINTAINER ${inst.value}`);
      case 'arg': {
        const parts: string[] = [];
        for (const a of inst.args) {
          const given = this.opts.buildArgs[a.name];
          let value: string | undefined = a.value === undefined ? undefined : this.expand(a.value, env);
          if (value === undefined && this.metaArgs.has(a.name)) value = this.metaArgs.get(a.name);
          if (given !== undefined) {
            this.consumed.add(a.name);
            if (given !== null) value = given;
          }
          state.args.set(a.name, value);
          parts.push(a.value === undefined ? a.name : `${a.name}=${a.value}`);
        }
        return this.commitMeta(state, state.run, `ARG ${parts.join(' ')}`);
      }
      case 'cmd':
      case 'entrypoint': {
        const args = inst.command.json ? [...inst.command.args] : [...this.shell(state), inst.command.text];
        if (inst.kind === 'cmd') {
          state.cmdSet = true;
          return this.commitMeta(state, { ...state.run, Cmd: args }, `CMD ${goQuoteList(args)}`);
        }
        const next: ImageRunConfig = { ...state.run, Entrypoint: args };
        // ENTRYPOINT drops a CMD inherited from the base image (Docker's dispatchEntrypoint)
        if (!state.cmdSet) next.Cmd = null;
        return this.commitMeta(state, next, `ENTRYPOINT ${goQuoteList(args)}`);
      }
      case 'shell':
        return this.commitMeta(state, { ...state.run, Shell: [...inst.args] }, `SHELL ${goList(inst.args)}`);
      case 'workdir': {
        let dir = this.expand(inst.value, env);
        if (!dir.startsWith('/')) dir = posix.join(state.run.WorkingDir || '/', dir);
        dir = posix.normalize(dir);
        return this.commitMeta(state, { ...state.run, WorkingDir: dir }, `WORKDIR ${dir}`, true);
      }
      case 'user': {
        const user = this.expand(inst.value, env);
        return this.commitMeta(state, { ...state.run, User: user }, `USER ${user}`);
      }
      case 'stopsignal': {
        const sig = this.expand(inst.value, env);
        return this.commitMeta(state, { ...state.run, StopSignal: sig }, `STOPSIGNAL ${sig}`);
      }
      case 'onbuild': {
        const trigger = inst.value.replace(/^(\S+)/, (m) => m.toUpperCase());
        return this.commitMeta(state, { ...state.run, OnBuild: [...(state.run.OnBuild ?? []), trigger] }, `ONBUILD ${trigger}`);
      }
      case 'expose': {
        const ports = inst.items.flatMap((w) => this.words(w, env));
        const exposed: Record<string, Record<string, never>> = { ...(state.run.ExposedPorts ?? {}) };
        for (const p of ports) for (const key of expandPort(p)) exposed[key] = {};
        // Docker's commit message lists the port keys sorted, tcp ones without their protocol
        const listed = ports.flatMap((p) => expandPort(p)).sort().map((k) => k.replace(/\/tcp$/, ''));
        return this.commitMeta(state, { ...state.run, ExposedPorts: exposed }, `EXPOSE ${[...new Set(listed)].join(' ')}`);
      }
      case 'volume': {
        const vols = inst.items.map((v) => this.expand(v, env));
        const volumes: Record<string, Record<string, never>> = { ...(state.run.Volumes ?? {}) };
        for (const v of vols) {
          if (v.trim() === '') throw new BuildError('VOLUME specified can not be an empty string');
          volumes[v] = {};
        }
        return this.commitMeta(state, { ...state.run, Volumes: volumes }, `VOLUME ${goList(vols)}`);
      }
      case 'healthcheck': {
        if (inst.test[0] === 'NONE') return this.commitMeta(state, { ...state.run, Healthcheck: { Test: ['NONE'] } }, `HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" '\\x00'}`);
        const hc = {
          Test: [...inst.test],
          ...(inst.interval ? { Interval: inst.interval } : {}),
          ...(inst.timeout ? { Timeout: inst.timeout } : {}),
          ...(inst.startPeriod ? { StartPeriod: inst.startPeriod } : {}),
          ...(inst.startInterval ? { StartInterval: inst.startInterval } : {}),
          ...(inst.retries ? { Retries: inst.retries } : {}),
        };
        const retries = `'\\x${(inst.retries ?? 0).toString(16).padStart(2, '0')}'`;
        const text = `HEALTHCHECK &{${goQuoteList(hc.Test)} "${goDuration(inst.interval ?? 0)}" "${goDuration(inst.timeout ?? 0)}" "${goDuration(inst.startPeriod ?? 0)}" "${goDuration(inst.startInterval ?? 0)}" ${retries}}`;
        return this.commitMeta(state, { ...state.run, Healthcheck: hc }, text);
      }
      case 'run':
        return this.dispatchRun(state, inst.command.json ? [...inst.command.args] : [...this.shell(state), this.runText(inst)]);
      case 'copy':
      case 'add':
        return this.dispatchCopy(state, inst, env);
    }
  }

  private runText(inst: Instruction): string {
    if (inst.kind !== 'run' || inst.command.json) return '';
    let text = inst.command.text;
    const docs = inst.node.heredocs;
    if (docs.length === 1 && /^<<-?\s*["']?\w+["']?$/.test(text.trim())) return (docs[0] as { content: string }).content;
    for (const d of docs) text += `\n${d.content}${d.name}`;
    return text;
  }

  /** Metadata-only step: a new config, no layer (history `empty_layer`). */
  private async commitMeta(state: StageState, run: ImageRunConfig, comment: string, singleSpace = false): Promise<void> {
    const createdBy = `${this.shell(state).join(' ')} #(nop) ${singleSpace ? '' : ' '}${comment}`;
    await this.commitStep(state, run, { created_by: createdBy, empty_layer: true }, undefined, undefined);
  }

  private async commitStep(
    state: StageState,
    run: ImageRunConfig,
    history: ImageHistoryEntry,
    produce: (() => Promise<string | undefined>) | undefined,
    cacheExtra: string | undefined,
  ): Promise<void> {
    const parentId = state.image.id;
    const runConfig = normaliseRunConfig(run, parentId);
    const key = createHash('sha256')
      .update(JSON.stringify({ createdBy: history.created_by, run: { ...runConfig, Image: '' }, author: state.config.author ?? '', extra: cacheExtra ?? '' }))
      .digest('hex');
    const cacheParent = parentId === '' ? 'scratch' : parentId;
    if (!this.opts.noCache) {
      const hit = this.backend.cacheGet(cacheParent, key);
      if (hit) {
        this.opts.stream(' ---> Using cache\n');
        state.image = hit;
        state.config = hit.config;
        state.run = { ...(hit.config.config ?? {}) };
        return;
      }
    }
    const diffId = produce ? await produce() : undefined;
    const created = new Date().toISOString().replace(/\.?0*Z$/, 'Z');
    const config: ImageConfig = {
      ...state.config,
      architecture: state.config.architecture || this.opts.architecture,
      os: state.config.os || this.opts.os,
      created,
      // the classic builder records the step's parent image in the config (ParentId in `docker images`)
      ...(parentId !== '' ? { parent: parentId } : {}),
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids, ...(diffId ? [diffId] : [])] },
      history: [...(state.config.history ?? []), { created, ...history, ...(diffId ? { empty_layer: undefined } : {}) }],
    };
    delete (config as { container_config?: unknown }).container_config;
    delete (config as { container?: unknown }).container;
    if (config.history) config.history = config.history.map((h) => JSON.parse(JSON.stringify(h)) as ImageHistoryEntry);
    const image = await this.backend.commit(config);
    this.backend.cachePut(cacheParent, key, image.id);
    state.image = image;
    state.config = image.config;
    state.run = { ...(image.config.config ?? {}) };
  }

  private async ensureCommitted(state: StageState): Promise<void> {
    if (state.image.id !== '') return;
    state.image = await this.backend.commit({ ...state.config, created: new Date(0).toISOString() });
  }

  private async dispatchRun(state: StageState, cmd: string[]): Promise<void> {
    const argEnv = this.argEnv(state);
    for (const a of argEnv) this.consumed.add(a.slice(0, a.indexOf('=')));
    const saveCmd = argEnv.length > 0 ? [`|${argEnv.length}`, ...argEnv, ...cmd] : cmd;
    await this.ensureCommitted(state);
    const image = state.image;
    await this.commitStep(
      state,
      state.run,
      { created_by: saveCmd.join(' ') },
      async () => {
        const result = await this.backend.runStep({
          image,
          cmd,
          env: [...(state.run.Env ?? []), ...argEnv],
          user: state.run.User ?? '',
          workingDir: state.run.WorkingDir ?? '',
          ...(this.opts.networkMode !== undefined ? { networkMode: this.opts.networkMode } : {}),
          extraHosts: this.opts.extraHosts,
          ...(this.opts.signal ? { signal: this.opts.signal } : {}),
          // Docker's classic builder: a failed step's container stays unless forcerm; successful ones go unless rm=false.
          keep: this.opts.forceRm === true ? (this.opts.rm === false ? 'all' : 'none') : this.opts.rm === false ? 'all' : 'failed',
          onContainer: (id) => this.opts.stream(` ---> Running in ${shortId(id)}\n`),
          output: (data) => this.opts.stream(data.toString('utf8')),
        });
        if (result.exitCode !== 0) {
          throw new BuildError(`The command '${cmd.join(' ')}' returned a non-zero code: ${result.exitCode}`, result.exitCode);
        }
        if (this.opts.rm !== false) this.opts.stream(`Removing intermediate container ${shortId(result.containerId)}\n`);
        return result.diffId;
      },
      JSON.stringify(saveCmd),
    );
  }

  private async dispatchCopy(state: StageState, inst: CopyInstruction, env: Map<string, string>): Promise<void> {
    const cmd = inst.kind.toUpperCase();
    const destRaw = this.expand(inst.dest, env);
    const destIsDir = destRaw.endsWith('/') || destRaw === '.' || destRaw.endsWith('/.');
    const dest = posix.normalize(destRaw.startsWith('/') ? destRaw : posix.join(state.run.WorkingDir || '/', destRaw));
    const chmod = inst.chmod !== undefined ? parseChmod(this.expand(inst.chmod, env)) : undefined;
    const chown = inst.chown !== undefined ? this.expand(inst.chown, env) : undefined;
    const heredocSources = inst.sources.filter((s) => /^<<-?/.test(s));
    const fileSources = inst.sources.filter((s) => !/^<<-?/.test(s)).map((s) => this.expand(s, env));
    const urlSources = fileSources.filter((s) => /^https?:\/\//.test(s));
    if (urlSources.length > 0 && inst.kind === 'copy') throw new BuildError(`COPY failed: source can't be a URL for COPY`);
    if (urlSources.length > 0 && inst.from !== undefined) throw new BuildError(`ADD failed: source can't be a URL when using --from`);
    const localSources = fileSources.filter((s) => !/^https?:\/\//.test(s));
    const tag = `add-${randomBytes(6).toString('hex')}`;
    const scratch = this.opts.scratchDir !== undefined ? join(this.opts.scratchDir, tag) : `${this.opts.contextDir}.${tag}`;
    try {
      await this.copyStep(state, inst, env, { cmd, destRaw, destIsDir, dest, chmod, chown, heredocSources, fileSources: localSources, urlSources, scratch });
    } finally {
      if (urlSources.length > 0) await rm(scratch, { recursive: true, force: true });
    }
  }

  private async copyStep(
    state: StageState,
    inst: CopyInstruction,
    env: Map<string, string>,
    s: {
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
    },
  ): Promise<void> {
    const { cmd, destRaw, destIsDir, dest, chmod, chown, heredocSources, fileSources, urlSources } = s;
    // ADD <url> downloads on every build (as Docker does): the content is part of the cache key
    const downloads: Downloaded[] = [];
    for (const [i, url] of urlSources.entries()) {
      downloads.push(await downloadUrl(url, join(s.scratch, String(i)), this.opts.signal));
    }
    // Docker's classic builder ends its download progress with an empty line
    if (downloads.length > 0) this.opts.stream('\n');
    const downloaded: ContextSource[] = downloads.map((d) => ({ rel: d.name, abs: d.path, isDir: false, download: true }));
    let known = this.opts.contextHashes;
    if (downloads.length > 0) {
      known = new Map(known ?? []);
      for (const d of downloads) known.set(d.path, d.sha256);
    }
    let fromImage: BuildImage | undefined;
    if (inst.from !== undefined) {
      const ref = this.expand(inst.from, env);
      fromImage = this.stageResults.get(ref.toLowerCase());
      if (!fromImage) {
        try {
          fromImage = await this.imageFor(ref, false);
        } catch (err) {
          throw new BuildError(`invalid from flag value ${ref}: ${(err as Error).message}`);
        }
      }
      if (fromImage.id === '') fromImage = await this.backend.commit(fromImage.config);
    }
    // Resolving and hashing happen before the cache probe, as the hash is part of the key.
    const withSources = async <T>(fn: (sources: ContextSource[]) => Promise<T>): Promise<T> => {
      if (fileSources.length === 0) return fn(downloaded);
      if (fromImage) return this.backend.withImageRootfs(fromImage, async (root) => fn(await resolveContextSources(root, fileSources, cmd)));
      return fn([...(await resolveContextSources(this.opts.contextDir, fileSources, cmd)), ...downloaded]);
    };
    const hash = await withSources(async (sources) => {
      const parts: string[] = [];
      if (sources.length > 0) parts.push(await hashSources(sources, fromImage ? undefined : known));
      for (const h of heredocSources) {
        const doc = inst.heredocs.find((d) => `<<${d.name}` === h.replace(/^<<-/, '<<').replace(/["']/g, ''));
        parts.push(`heredoc:${createHash('sha256').update(doc?.content ?? '').digest('hex')}`);
      }
      // a lone URL source shows as a bare hash in history, as in Docker
      if (parts.length === 1 && downloads.length === 1 && fileSources.length === 0) return (parts[0] as string).replace(/^file:/, '');
      return parts.length === 1 ? (parts[0] as string) : `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
    });
    await this.ensureCommitted(state);
    const image = state.image;
    const createdBy = `${this.shell(state).join(' ')} #(nop) ${cmd} ${hash} in ${destRaw} `;
    const extra = JSON.stringify({
      chown: chown ?? '',
      chmod: chmod ?? '',
      from: fromImage?.id ?? '',
      ...(downloads.length > 0 ? { urls: downloads.map((d) => [d.name, d.mtime ?? null]) } : {}),
    });
    await this.commitStep(
      state,
      state.run,
      { created_by: createdBy },
      () =>
        this.backend.modifyRootfs(image, async (root) => {
          const owner = chown !== undefined ? await this.backend.resolveOwner(root, chown) : { uid: 0, gid: 0 };
          const copyOpts = { dest, destIsDir: destIsDir || heredocSources.length + fileSources.length + urlSources.length > 1, ...owner, ...(chmod !== undefined ? { mode: chmod } : {}), extractArchives: inst.kind === 'add' && !fromImage };
          for (const h of heredocSources) {
            const doc = inst.heredocs.find((d) => `<<${d.name}` === h.replace(/^<<-/, '<<').replace(/["']/g, ''));
            if (!doc) throw new BuildError(`${cmd} failed: heredoc ${h} not found`);
            const content = doc.expand ? this.expandHeredoc(doc.content, env) : doc.content;
            await writeHeredocFile(root, doc.name, content, copyOpts);
          }
          await withSources((sources) => copyIntoRootfs(root, sources, copyOpts, cmd));
        }),
      extra,
    );
  }

  private expandHeredoc(content: string, env: Map<string, string>): string {
    return content.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => env.get(a ?? b ?? '') ?? '');
  }
}

const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function parseChmod(text: string): number {
  if (!/^[0-7]{3,4}$/.test(text)) throw new BuildError(`invalid chmod parameter: ${text}`);
  return parseInt(text, 8);
}

function expandPort(spec: string): string[] {
  const [range = '', proto = 'tcp'] = spec.split('/');
  const m = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (!m) throw new BuildError(`invalid containerPort: ${range}`);
  const lo = Number(m[1]);
  const hi = m[2] !== undefined ? Number(m[2]) : lo;
  if (hi < lo) throw new BuildError(`invalid range specified for containerPort: ${range}`);
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${proto.toLowerCase()}`);
  return out;
}

export { DockerfileParseError };
