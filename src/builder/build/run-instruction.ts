// RUN: the command line it runs, and the step that runs it in a container and commits the changes as a layer.
import type { RunInstruction } from '../dockerfile/instructions.js';
import type { BuildBackend } from './build-backend.js';
import type { DockerfileBuildOptions } from './build-options.js';
import { BuildError } from './build-context.js';
import { shortId } from './build-progress.js';
import { type StageState, argEnv, stageShell } from './stage-state.js';
import type { StepCommitter } from './step-commit.js';

export interface RunStepContext {
  readonly backend: BuildBackend;
  readonly steps: StepCommitter;
  readonly opts: Pick<DockerfileBuildOptions, 'networkMode' | 'extraHosts' | 'signal' | 'rm' | 'forceRm' | 'stream'>;
  /** Build args used by the build so far (for the not-consumed warning). */
  readonly consumed: Set<string>;
}

/** The argv of a RUN: its JSON form as is, else the shell with the text (and heredoc bodies). */
export function runCommand(state: StageState, inst: RunInstruction): string[] {
  return inst.command.json ? [...inst.command.args] : [...stageShell(state), runText(inst)];
}

function runText(inst: RunInstruction): string {
  if (inst.command.json) return '';
  let text = inst.command.text;
  const docs = inst.node.heredocs;
  if (docs.length === 1 && /^<<-?\s*["']?\w+["']?$/.test(text.trim())) return (docs[0] as { content: string }).content;
  for (const d of docs) text += `\n${d.content}${d.name}`;
  return text;
}

export async function runStep(ctx: RunStepContext, state: StageState, cmd: string[]): Promise<void> {
  const { opts } = ctx;
  const args = argEnv(state);
  for (const a of args) ctx.consumed.add(a.slice(0, a.indexOf('=')));
  const saveCmd = args.length > 0 ? [`|${args.length}`, ...args, ...cmd] : cmd;
  await ctx.steps.ensureCommitted(state);
  const image = state.image;
  await ctx.steps.commitStep(
    state,
    state.run,
    { created_by: saveCmd.join(' ') },
    async () => {
      const result = await ctx.backend.runStep({
        image,
        cmd,
        env: [...(state.run.Env ?? []), ...args],
        user: state.run.User ?? '',
        workingDir: state.run.WorkingDir ?? '',
        ...(opts.networkMode !== undefined ? { networkMode: opts.networkMode } : {}),
        extraHosts: opts.extraHosts,
        ...(opts.signal ? { signal: opts.signal } : {}),
        // Docker's classic builder: a failed step's container stays unless forcerm; successful ones go unless rm=false.
        keep: opts.forceRm === true ? (opts.rm === false ? 'all' : 'none') : opts.rm === false ? 'all' : 'failed',
        onContainer: (id) => opts.stream(` ---> Running in ${shortId(id)}\n`),
        output: (data) => opts.stream(data.toString('utf8')),
      });
      if (result.exitCode !== 0) {
        throw new BuildError(`The command '${cmd.join(' ')}' returned a non-zero code: ${result.exitCode}`, result.exitCode);
      }
      if (opts.rm !== false) opts.stream(`Removing intermediate container ${shortId(result.containerId)}\n`);
      return result.diffId;
    },
    JSON.stringify(saveCmd),
  );
}
