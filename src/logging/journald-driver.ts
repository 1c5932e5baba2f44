import { existsSync } from 'node:fs';
import { invalidArgument } from '../errors/engine-error.js';
import type { LogCapture, LogDriver } from './log-driver.js';

/** go-systemd journal.Enabled(): the journal's native socket. */
const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/**
 * dockerd's journald driver. Where no journal runs (no native socket),
 * starting fails with dockerd's text, as dockerd does; where one runs,
 * Berth cannot send to it yet and says so rather than dropping the output.
 */
export const journaldDriver: LogDriver = {
  name: 'journald',
  startCapture(): Promise<LogCapture> {
    if (!existsSync(JOURNAL_SOCKET)) return Promise.reject(invalidArgument('failed to initialize logging driver: journald is not enabled on this host'));
    return Promise.reject(invalidArgument('failed to initialize logging driver: the journald log driver is not supported by berth yet'));
  },
  files(): undefined {
    return undefined;
  },
};
