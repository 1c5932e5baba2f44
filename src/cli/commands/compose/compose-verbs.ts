import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { demuxStream } from '../../../client/stream-frames.js';
import type { ComposeProject } from '../../../compose/project-model.js';
import type { ContainerSummary } from '../../../client/wire-types.js';
import { projectDown } from '../../../compose/project-down.js';
import { projectContainers, type ProgressEvent } from '../../../compose/project-resources.js';
import { projectUp } from '../../../compose/project-up.js';
import { LABEL } from '../../../compose/compose-labels.js';
import type { FlagSpec, FlagValues } from '../../argv/flag-parser.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit } from '../../cli-errors.js';
import { displayablePorts } from '../../format/ports.js';
import { timeAgo } from '../../format/human-duration.js';
import { tabFormat } from '../../format/tab-writer.js';
import { buildServiceImage } from './compose-build.js';

/** One `berth compose` verb: its flags and what it does with the loaded project. */
export interface ComposeVerb {
  description: string;
  flags: FlagSpec[];
  run(ctx: CliContext, project: ComposeProject, flags: FlagValues, args: string[]): Promise<number>;
}

/** Plain progress lines as docker compose v2 prints them without a TTY (on stderr). */
const printProgress = (ctx: CliContext) => (e: ProgressEvent): void => ctx.err(` ${e.kind} ${e.name}  ${e.state}\n`);

const checkServices = (project: ComposeProject, names: string[]): void => {
  for (const n of names) if (!project.services[n]) throw new CliExit(1, `no such service: ${n}`);
};

export const COMPOSE_VERBS: Record<string, ComposeVerb> = {
  up: {
    description: 'Create and start containers',
    flags: [{ long: 'detach', short: 'd', kind: 'bool', description: 'Detached mode: Run containers in the background' }],
    async run(ctx, project, flags) {
      await projectUp(ctx.client(), project, { progress: printProgress(ctx), buildImage: (svc, build, tag) => buildServiceImage(ctx, build, tag) });
      if (flags.bool('detach')) return 0;
      // Attached, as compose v2: follow every service's output until all have exited; ctrl-c stops them.
      const client = ctx.client();
      const list = await projectContainers(client, project.name);
      const stop = (): void => {
        ctx.err('Gracefully stopping... (press Ctrl+C again to force)\n');
        void Promise.all(list.map((c) => client.containers.stop(c.Id).catch(() => undefined)));
      };
      process.once('SIGINT', stop);
      try {
        await printLogs(ctx, project, list, { follow: true, tail: 'all', timestamps: false, prefix: true, exitLines: true });
      } finally {
        process.removeListener('SIGINT', stop);
      }
      return 0;
    },
  },
  down: {
    description: 'Stop and remove containers, networks',
    flags: [{ long: 'volumes', short: 'v', kind: 'bool', description: 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers' }],
    async run(ctx, project, flags) {
      await projectDown(ctx.client(), project.name, { progress: printProgress(ctx), volumes: flags.bool('volumes') });
      return 0;
    },
  },
  ps: {
    description: 'List containers',
    flags: [
      { long: 'all', short: 'a', kind: 'bool', description: 'Show all stopped containers (including those created by the run command)' },
      { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display IDs' },
    ],
    async run(ctx, project, flags, args) {
      checkServices(project, args);
      const list = (await projectContainers(ctx.client(), project.name, { all: flags.bool('all') }))
        .filter((c) => args.length === 0 || args.includes(c.Labels?.[LABEL.service] ?? ''))
        .sort((a, b) => ((a.Names[0] ?? '') < (b.Names[0] ?? '') ? -1 : 1));
      if (flags.bool('quiet')) {
        ctx.out(list.map((c) => `${c.Id}\n`).join(''));
        return 0;
      }
      const rows = ['NAME\tIMAGE\tCOMMAND\tSERVICE\tCREATED\tSTATUS\tPORTS'];
      for (const c of list) {
        const cmd = c.Command.length > 20 ? `${c.Command.slice(0, 19)}…` : c.Command;
        rows.push([(c.Names[0] ?? '').replace(/^\//, ''), c.Image, `"${cmd}"`, c.Labels?.[LABEL.service] ?? '', timeAgo(new Date(c.Created * 1000)), c.Status, displayablePorts(c.Ports)].join('\t'));
      }
      ctx.out(tabFormat(`${rows.join('\n')}\n`));
      return 0;
    },
  },
  logs: {
    description: 'View output from containers',
    flags: [
      { long: 'follow', short: 'f', kind: 'bool', description: 'Follow log output' },
      { long: 'no-log-prefix', kind: 'bool', description: "Don't print prefix in logs" },
      { long: 'tail', short: 'n', kind: 'string', description: 'Number of lines to show from the end of the logs for each container', defaultValue: 'all' },
      { long: 'timestamps', short: 't', kind: 'bool', description: 'Show timestamps' },
    ],
    async run(ctx, project, flags, args) {
      checkServices(project, args);
      const list = (await projectContainers(ctx.client(), project.name)).filter((c) => args.length === 0 || args.includes(c.Labels?.[LABEL.service] ?? ''));
      await printLogs(ctx, project, list, {
        follow: flags.bool('follow'),
        tail: flags.string('tail') ?? 'all',
        timestamps: flags.bool('timestamps'),
        prefix: !flags.bool('no-log-prefix'),
      });
      return 0;
    },
  },
  config: {
    description: 'Parse, resolve and render compose file in canonical format',
    flags: [],
    async run(ctx, project) {
      ctx.out(stringify({ name: project.name, services: project.services, networks: project.networks, volumes: project.volumes }));
      return 0;
    },
  },
};

interface LogPrintOptions {
  readonly follow: boolean;
  readonly tail: string;
  readonly timestamps: boolean;
  readonly prefix: boolean;
  /** `up` attached: "<name> exited with code N" when a followed container ends. */
  readonly exitLines?: boolean;
}

/**
 * Prints the logs of several containers as compose v2 does: each line prefixed with the container name without the
 * project, padded to the longest; with `follow`, the streams run side by side and lines come out as they arrive.
 */
async function printLogs(ctx: CliContext, project: ComposeProject, containers: ContainerSummary[], opts: LogPrintOptions): Promise<void> {
  const client = ctx.client();
  const list = [...containers].sort((a, b) => ((a.Names[0] ?? '') < (b.Names[0] ?? '') ? -1 : 1));
  const short = (name: string): string => name.replace(/^\//, '').replace(`${project.name}-`, '');
  const width = Math.max(0, ...list.map((c) => short(c.Names[0] ?? '').length));
  const one = async (c: ContainerSummary): Promise<void> => {
    const name = short(c.Names[0] ?? '');
    const prefix = opts.prefix ? `${name.padEnd(width)}  | ` : '';
    let rest = '';
    const sink = new Writable({
      write: (b: Buffer, _e, cb) => {
        const lines = (rest + b.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) ctx.out(`${prefix}${line}\n`);
        cb();
      },
    });
    const stream = await client.containers.logs(c.Id, { follow: opts.follow, tail: opts.tail, timestamps: opts.timestamps });
    const inspect = await client.containers.inspect(c.Id);
    if (inspect.Config.Tty) for await (const b of stream) await new Promise<void>((r) => sink.write(b as Buffer, () => r()));
    else await demuxStream(stream, sink, sink);
    if (rest !== '') ctx.out(`${prefix}${rest}\n`);
    if (opts.exitLines) {
      const code = (await client.containers.inspect(c.Id)).State.ExitCode;
      ctx.out(`${name} exited with code ${code}\n`);
    }
  };
  if (opts.follow) await Promise.all(list.map(one));
  else for (const c of list) await one(c);
}
