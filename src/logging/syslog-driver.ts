import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { invalidArgument } from '../errors/engine-error.js';
import { dualLoggingFiles, startDualLoggingCapture } from './dual-logging.js';
import type { CaptureTarget, LogCapture, LogDriver, LogFiles } from './log-driver.js';
import { expandLogTag } from './log-tag.js';
import { parseSyslogOptions } from './syslog-options.js';

/**
 * dockerd's syslog driver: berth-logger sends each record as a syslog
 * message (udp, tcp, unix, unixgram; dockerd's formats) and, as dockerd ≥
 * 20.10's dual logging, keeps a local cache (`container-cached.log`, local
 * driver limits from the cache-* options) that `logs` reads, unless
 * cache-disabled=true. The sender runs beside conmon, not in berthd, so a
 * slow or dead receiver never blocks the daemon or other containers.
 */
export const syslogDriver: LogDriver = {
  name: 'syslog',
  async startCapture(target: CaptureTarget, config: Readonly<Record<string, string>>): Promise<LogCapture> {
    const sys = parseSyslogOptions(config);
    // dockerd tlsconfig: the files are read when the driver starts.
    const tlsFail = (what: string, path: string): Error =>
      invalidArgument(`failed to initialize logging driver: ${what} ${JSON.stringify(path)}: open ${path}: no such file or directory`);
    if (sys.tls?.ca !== undefined && !existsSync(sys.tls.ca)) throw tlsFail('could not read CA certificate', sys.tls.ca);
    if (sys.tls?.cert !== undefined && !existsSync(sys.tls.cert)) throw tlsFail('could not load X509 key pair', sys.tls.cert);
    if (sys.tls?.key !== undefined && !existsSync(sys.tls.key)) throw tlsFail('could not load X509 key pair', sys.tls.key);
    const tag = expandLogTag(config['tag'] ?? '{{.ID}}', target.info);
    return startDualLoggingCapture(target, config, { syslog: { address: sys.address, format: sys.format, facility: sys.facility, tag, hostname: hostname(), ...(sys.tls ? { tls: sys.tls } : {}) } });
  },
  files(containerDir: string, _id: string, config: Readonly<Record<string, string>>): LogFiles | undefined {
    return dualLoggingFiles(containerDir, config);
  },
};

