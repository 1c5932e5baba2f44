// The metadata-only instructions (ENV, LABEL, ARG, CMD, EXPOSE, …): each yields the next run config and its history comment, no layer.
import { posix } from 'node:path';
import type { ImageRunConfig } from '../../images/image-config.js';
import type { CopyInstruction, FromInstruction, Instruction, RunInstruction } from '../dockerfile/instructions.js';
import { BuildError } from './build-context.js';
import { goDuration, goList, goQuoteList, setEnv } from './run-config.js';
import { type StageState, stageEnv, stageShell } from './stage-state.js';
import type { WordExpander } from './word-expander.js';

export type MetadataInstruction = Exclude<Instruction, FromInstruction | RunInstruction | CopyInstruction>;

/** What to commit for a metadata instruction; `singleSpace` drops the second space after `#(nop)` (WORKDIR, as Docker). */
export interface MetadataStep {
  readonly run: ImageRunConfig;
  readonly comment: string;
  readonly singleSpace: boolean;
}

/** The build args an ARG instruction reads: --build-arg values, the meta ARGs before FROM, and the set of consumed names it adds to. */
export interface ArgScope {
  readonly buildArgs: Readonly<Record<string, string | null>>;
  readonly metaArgs: ReadonlyMap<string, string | undefined>;
  readonly consumed: Set<string>;
}

/**
 * The step of a metadata instruction. ARG, CMD and MAINTAINER also update
 * the stage state itself (its ARGs in scope, cmdSet, author).
 */
export function metadataStep(state: StageState, inst: MetadataInstruction, env: Map<string, string>, words: WordExpander, scope: ArgScope): MetadataStep {
  const step = (run: ImageRunConfig, comment: string, singleSpace = false): MetadataStep => ({ run, comment, singleSpace });
  switch (inst.kind) {
    case 'env': {
      let e = state.run.Env ?? [];
      const parts: string[] = [];
      for (const p of inst.pairs) {
        const key = words.expand(p.key, stageEnv({ ...state, run: { ...state.run, Env: e } }));
        const value = words.expand(p.value, stageEnv({ ...state, run: { ...state.run, Env: e } }));
        e = setEnv(e, key, value);
        parts.push(`${key}=${value}`);
      }
      return step({ ...state.run, Env: e }, `ENV ${parts.join(' ')}`);
    }
    case 'label': {
      const labels = { ...(state.run.Labels ?? {}) };
      const parts: string[] = [];
      for (const p of inst.pairs) {
        const key = words.expand(p.key, env);
        const value = words.expand(p.value, env);
        labels[key] = value;
        parts.push(`${key}=${value}`);
      }
      return step({ ...state.run, Labels: labels }, `LABEL ${parts.join(' ')}`);
    }
    case 'maintainer':
      state.config = { ...state.config, author: inst.value };
      return step(state.run, `MAINTAINER ${inst.value}`);
    case 'arg': {
      const parts: string[] = [];
      for (const a of inst.args) {
        const given = scope.buildArgs[a.name];
        let value: string | undefined = a.value === undefined ? undefined : words.expand(a.value, env);
        if (value === undefined && scope.metaArgs.has(a.name)) value = scope.metaArgs.get(a.name);
        if (given !== undefined) {
          scope.consumed.add(a.name);
          if (given !== null) value = given;
        }
        state.args.set(a.name, value);
        parts.push(a.value === undefined ? a.name : `${a.name}=${a.value}`);
      }
      return step(state.run, `ARG ${parts.join(' ')}`);
    }
    case 'cmd':
    case 'entrypoint': {
      const args = inst.command.json ? [...inst.command.args] : [...stageShell(state), inst.command.text];
      if (inst.kind === 'cmd') {
        state.cmdSet = true;
        return step({ ...state.run, Cmd: args }, `CMD ${goQuoteList(args)}`);
      }
      const next: ImageRunConfig = { ...state.run, Entrypoint: args };
      // ENTRYPOINT drops a CMD inherited from the base image (Docker's dispatchEntrypoint)
      if (!state.cmdSet) next.Cmd = null;
      return step(next, `ENTRYPOINT ${goQuoteList(args)}`);
    }
    case 'shell':
      return step({ ...state.run, Shell: [...inst.args] }, `SHELL ${goList(inst.args)}`);
    case 'workdir': {
      let dir = words.expand(inst.value, env);
      if (!dir.startsWith('/')) dir = posix.join(state.run.WorkingDir || '/', dir);
      dir = posix.normalize(dir);
      return step({ ...state.run, WorkingDir: dir }, `WORKDIR ${dir}`, true);
    }
    case 'user': {
      const user = words.expand(inst.value, env);
      return step({ ...state.run, User: user }, `USER ${user}`);
    }
    case 'stopsignal': {
      const sig = words.expand(inst.value, env);
      return step({ ...state.run, StopSignal: sig }, `STOPSIGNAL ${sig}`);
    }
    case 'onbuild': {
      const trigger = inst.value.replace(/^(\S+)/, (m) => m.toUpperCase());
      return step({ ...state.run, OnBuild: [...(state.run.OnBuild ?? []), trigger] }, `ONBUILD ${trigger}`);
    }
    case 'expose': {
      const ports = inst.items.flatMap((w) => words.words(w, env));
      const exposed: Record<string, Record<string, never>> = { ...(state.run.ExposedPorts ?? {}) };
      for (const p of ports) for (const key of expandPort(p)) exposed[key] = {};
      // Docker's commit message lists the port keys sorted, tcp ones without their protocol
      const listed = ports.flatMap((p) => expandPort(p)).sort().map((k) => k.replace(/\/tcp$/, ''));
      return step({ ...state.run, ExposedPorts: exposed }, `EXPOSE ${[...new Set(listed)].join(' ')}`);
    }
    case 'volume': {
      const vols = inst.items.map((v) => words.expand(v, env));
      const volumes: Record<string, Record<string, never>> = { ...(state.run.Volumes ?? {}) };
      for (const v of vols) {
        if (v.trim() === '') throw new BuildError('VOLUME specified can not be an empty string');
        volumes[v] = {};
      }
      return step({ ...state.run, Volumes: volumes }, `VOLUME ${goList(vols)}`);
    }
    case 'healthcheck': {
      if (inst.test[0] === 'NONE') return step({ ...state.run, Healthcheck: { Test: ['NONE'] } }, `HEALTHCHECK &{["NONE"] "0s" "0s" "0s" "0s" '\\x00'}`);
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
      return step({ ...state.run, Healthcheck: hc }, text);
    }
  }
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
