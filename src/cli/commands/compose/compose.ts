import type { CommandSpec } from '../../argv/command-spec.js';
import { FlagError, FlagValues, parseFlags } from '../../argv/flag-parser.js';
import { CliExit } from '../../cli-errors.js';
import { ComposeError } from '../../../compose/compose-error.js';
import { loadProject } from '../../../compose/load-project.js';
import { COMPOSE_VERBS } from './compose-verbs.js';

/**
 * `berth compose [-f FILE]… [-p NAME] VERB …`: project flags come before the verb (as docker compose), so this one
 * entry parses them and hands the rest to the verb's own flags.
 */
export const composeCommand: CommandSpec = {
  path: ['compose'],
  usage: '[OPTIONS] COMMAND',
  description: 'Define and run multi-container applications',
  args: { kind: 'min', count: 1 },
  stopAtFirstArg: true,
  flags: [
    { long: 'file', short: 'f', kind: 'list', valueName: 'stringArray', description: 'Compose configuration files' },
    { long: 'project-name', short: 'p', kind: 'string', description: 'Project name' },
    { long: 'env-file', kind: 'list', valueName: 'stringArray', description: 'Specify an alternate environment file' },
  ],
  async run(ctx, flags, args) {
    const [verbName = '', ...rest] = args;
    const verb = COMPOSE_VERBS[verbName];
    if (!verb) throw new CliExit(1, `unknown docker command: "compose ${verbName}"`);
    let parsed;
    try {
      parsed = parseFlags(rest, verb.flags, { interspersed: true });
    } catch (err) {
      if (err instanceof FlagError) throw new CliExit(125, err.message);
      throw err;
    }
    if (parsed.help) {
      ctx.out(`Usage:  ${ctx.prog} compose ${verbName} [OPTIONS]\n\n${verb.description}\n`);
      return 0;
    }
    try {
      const project = await loadProject({
        files: flags.list('file'),
        ...(flags.string('project-name') !== undefined ? { projectName: flags.string('project-name') } : {}),
        cwd: process.cwd(),
        env: ctx.env,
        ...(flags.list('env-file').length > 0 ? { envFiles: flags.list('env-file') } : {}),
      });
      return await verb.run(ctx, project, new FlagValues(parsed.values, verb.flags), parsed.args);
    } catch (err) {
      if (err instanceof ComposeError) throw new CliExit(1, err.message);
      throw err;
    }
  },
};
