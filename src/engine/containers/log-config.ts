import { invalidArgument } from '../../errors/engine-error.js';

/**
 * HostConfig.LogConfig as dockerd checks it at create. Berth writes json-file
 * logs only (full drivers come later): a driver dockerd knows but Berth does
 * not implement, and a json-file option Berth cannot honour yet, are refused
 * rather than accepted and dropped.
 */
const dockerdDrivers = new Set(['none', 'local', 'json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'etwlogs', 'gcplogs', 'logentries']);
const jsonFileOptions = new Set(['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);

export interface LogConfigInput {
  readonly Type: string;
  readonly Config?: Readonly<Record<string, string>> | null;
}

export function validateLogConfig(log: LogConfigInput): void {
  const driver = log.Type;
  // dockerd 20.10's texts (daemon/logger factory and jsonfilelog.ValidateLogOpt).
  if (!dockerdDrivers.has(driver)) throw invalidArgument(`error looking up logging plugin ${driver}: plugin "${driver}" not found`);
  if (driver !== 'json-file') throw invalidArgument(`logging driver "${driver}" is not supported by berth yet; use json-file`);
  for (const key of Object.keys(log.Config ?? {})) {
    if (!jsonFileOptions.has(key)) throw invalidArgument(`unknown log opt '${key}' for json-file log driver`);
    throw invalidArgument(`log opt '${key}' of the json-file log driver is not supported by berth yet`);
  }
}
