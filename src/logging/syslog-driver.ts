import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { invalidArgument } from '../errors/engine-error.js';
import { join } from 'node:path';
import { startFileCapture } from './log-capture.js';
import type { CaptureTarget, LogCapture, LogDriver, LogFiles } from './log-driver.js';
import { cacheLimits, ringBytes } from './log-options.js';
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
    const cache = cachePath(target.containerDir, config);
    return startFileCapture({
      runDir: target.runDir,
      nonBlocking: ringBytes(config),
      ...(cache !== undefined ? { path: cache } : {}),
      limits: cacheLimits(config),
      syslog: { address: sys.address, format: sys.format, facility: sys.facility, tag, hostname: hostname(), ...(sys.tls ? { tls: sys.tls } : {}) },
    });
  },
  files(containerDir: string, _id: string, config: Readonly<Record<string, string>>): LogFiles | undefined {
    const path = cachePath(containerDir, config);
    return path === undefined ? undefined : { path };
  },
};

function cachePath(containerDir: string, config: Readonly<Record<string, string>>): string | undefined {
  return config['cache-disabled'] === 'true' ? undefined : join(containerDir, 'container-cached.log');
}
