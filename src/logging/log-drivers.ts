import { invalidArgument } from '../errors/engine-error.js';
import { jsonFileDriver } from './json-file-driver.js';
import { localDriver } from './local-driver.js';
import type { LogDriver } from './log-driver.js';
import { noneDriver } from './none-driver.js';
import { syslogDriver } from './syslog-driver.js';
import { gelfDriver } from './gelf-driver.js';
import { journaldDriver } from './journald-driver.js';
import { fluentdDriver } from './fluentd-driver.js';

const builtIn: ReadonlyMap<string, LogDriver> = new Map([jsonFileDriver, localDriver, noneDriver, syslogDriver, gelfDriver, journaldDriver, fluentdDriver].map((d) => [d.name, d]));

/** The driver a container's LogConfig.Type names; keys were checked at create (validateLogOptionKeys). */
export function logDriverFor(name: string): LogDriver {
  const d = builtIn.get(name);
  if (!d) throw invalidArgument(`failed to initialize logging driver: logging driver "${name}" is not supported by berth yet`);
  return d;
}
