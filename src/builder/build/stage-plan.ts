// Works out which stages the build target needs, how many steps they print, and the extra LABEL step of --label.
import { type DockerfilePlan, type Instruction, type Stage, parseInstruction } from '../dockerfile/instructions.js';
import { parseDockerfile } from '../dockerfile/parse-dockerfile.js';
import { BuildError } from './build-context.js';

/** The index of the --target stage (the last stage without one). */
export function targetStageIndex(stages: readonly Stage[], target: string | undefined): number {
  let targetIndex = stages.length - 1;
  if (target !== undefined && target !== '') {
    targetIndex = stages.findIndex((s) => s.name === target.toLowerCase());
    if (targetIndex < 0) throw new BuildError(`failed to reach build target ${target} in Dockerfile`);
  }
  return targetIndex;
}

/** The target and every stage it builds FROM or copies --from, transitively; `fromRef` expands a FROM image reference. */
export function neededStages(stages: readonly Stage[], target: number, fromRef: (image: string) => string): Set<number> {
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
    const ref = fromRef(s.from.image);
    const fromStage = stages.slice(0, i).find((x) => x.name === ref.toLowerCase());
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

/** The N of `Step n/N`: meta ARGs, each needed stage's FROM and commands, and the --label step. */
export function countSteps(plan: DockerfilePlan, needed: ReadonlySet<number>, labelStep: boolean): number {
  return plan.metaArgs.length + plan.stages.filter((s) => needed.has(s.index)).reduce((n, s) => n + 1 + s.commands.length, 0) + (labelStep ? 1 : 0);
}

/** Docker's classic builder appends the --label values as one more LABEL step. */
export function labelInstruction(labels: Readonly<Record<string, string>>): Instruction | undefined {
  const text = `LABEL ${Object.keys(labels).map((k) => `${JSON.stringify(k)}='${labels[k] ?? ''}'`).join(' ')}`;
  const node = parseDockerfile(text).nodes[0];
  return node ? parseInstruction(node) : undefined;
}
