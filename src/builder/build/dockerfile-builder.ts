import type { ImageConfig } from '../../images/image-config.js';
import { type ArgInstruction, type DockerfilePlan, type Instruction, type Stage, parseInstruction, planDockerfile } from '../dockerfile/instructions.js';
import { DockerfileParseError, parseDockerfile } from '../dockerfile/parse-dockerfile.js';
import type { BuildBackend, BuildImage } from './build-backend.js';
import { BuildError } from './build-context.js';
import type { DockerfileBuildOptions } from './build-options.js';
import { StepPrinter, shortId } from './build-progress.js';
import { copyStep } from './copy-instruction.js';
import { metadataStep } from './metadata-instructions.js';
import { emptyImageConfig } from './run-config.js';
import { runCommand, runStep } from './run-instruction.js';
import { countSteps, labelInstruction, neededStages, targetStageIndex } from './stage-plan.js';
import { type StageState, stageEnv } from './stage-state.js';
import { StepCommitter } from './step-commit.js';
import { WordExpander } from './word-expander.js';

export type { DockerfileBuildOptions } from './build-options.js';

/**
 * The classic builder: parses the Dockerfile, works out which stages the
 * target needs, and dispatches each instruction, committing an image per step
 * (reusing cached steps). Returns the final image id.
 */
export class DockerfileBuilder {
  private readonly stageResults = new Map<string, BuildImage>();
  private readonly metaArgs = new Map<string, string | undefined>();
  private readonly consumed = new Set<string>();
  private readonly words = new WordExpander();
  private readonly progress: StepPrinter;
  private readonly steps: StepCommitter;

  constructor(
    private readonly backend: BuildBackend,
    private readonly opts: DockerfileBuildOptions,
  ) {
    this.progress = new StepPrinter(opts.stream, opts.signal);
    this.steps = new StepCommitter(backend, opts);
  }

  /** Parses and validates without building (errors here come before any output, as in Docker). */
  static plan(dockerfile: string): DockerfilePlan {
    return planDockerfile(parseDockerfile(dockerfile));
  }

  async build(plan: DockerfilePlan): Promise<string> {
    this.words.escape = plan.escape;
    const stages = plan.stages;
    const targetIndex = targetStageIndex(stages, this.opts.target);
    for (const meta of plan.metaArgs) this.declareMetaArgs(meta, true);
    const needed = neededStages(stages, targetIndex, (image) => this.words.expandSafe(image, this.metaEnv()));
    const labelStep = Object.keys(this.opts.labels).length > 0;
    this.progress.total = countSteps(plan, needed, labelStep);
    this.metaArgs.clear();
    for (const meta of plan.metaArgs) {
      this.progress.print(meta.node.original);
      this.declareMetaArgs(meta, false);
    }
    let final: BuildImage | undefined;
    for (const stage of stages) {
      if (!needed.has(stage.index)) continue;
      const commands = [...stage.commands];
      if (stage.index === targetIndex && labelStep) {
        const label = labelInstruction(this.opts.labels);
        if (label) commands.push(label);
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
      let value: string | undefined = a.value === undefined ? undefined : this.words.expand(a.value, this.metaEnv());
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

  private async buildStage(stage: Stage, commands: readonly Instruction[]): Promise<BuildImage> {
    this.progress.print(stage.from.node.original);
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
      this.progress.print(inst.node.original);
      await this.dispatch(state, inst);
      this.opts.stream(` ---> ${shortId(state.image.id)}\n`);
    }
    if (stage.name !== undefined) this.stageResults.set(stage.name, state.image);
    this.stageResults.set(String(stage.index), state.image);
    return state.image;
  }

  private async initStage(stage: Stage): Promise<StageState> {
    const ref = this.words.expand(stage.from.image, this.metaEnv());
    if (stage.from.platform !== undefined) {
      const platform = this.words.expand(stage.from.platform, this.metaEnv());
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

  private async dispatch(state: StageState, inst: Instruction): Promise<void> {
    const env = stageEnv(state);
    switch (inst.kind) {
      case 'from':
        throw new BuildError('FROM is not allowed here');
      case 'run':
        // dockerd 20.10's classic builder: the build answers 200 and this step's error ends the stream.
        if (inst.buildkitFlag !== undefined) {
          throw new BuildError(`the --${inst.buildkitFlag} option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled`);
        }
        return runStep({ backend: this.backend, steps: this.steps, opts: this.opts, consumed: this.consumed }, state, runCommand(state, inst));
      case 'copy':
      case 'add':
        return copyStep(
          {
            backend: this.backend,
            steps: this.steps,
            words: this.words,
            opts: this.opts,
            stageResult: (ref) => this.stageResults.get(ref),
            imageFor: (ref, forcePull) => this.imageFor(ref, forcePull),
          },
          state,
          inst,
          env,
        );
      default: {
        const step = metadataStep(state, inst, env, this.words, { buildArgs: this.opts.buildArgs, metaArgs: this.metaArgs, consumed: this.consumed });
        return this.steps.commitMeta(state, step.run, step.comment, step.singleSpace);
      }
    }
  }
}

const PREDEFINED_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

export { DockerfileParseError };
