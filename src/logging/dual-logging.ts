import { join } from 'node:path';
import { startFileCapture, type FileCaptureOptions } from './log-capture.js';
import type { CaptureTarget, LogCapture, LogFiles } from './log-driver.js';
import { cacheLimits, ringBytes } from './log-options.js';

/**
 * Dockerd's dual logging for the remote drivers (syslog, gelf, fluentd): the
 * records also go to a local cache, `<containerDir>/container-cached.log`,
 * which `logs` reads, unless `cache-disabled=true`.
 */
export function dualLoggingCachePath(containerDir: string, config: Readonly<Record<string, string>>): string | undefined {
  return config['cache-disabled'] === 'true' ? undefined : join(containerDir, 'container-cached.log');
}

/** The files `logs` reads for a remote driver: the cache, or none. */
export function dualLoggingFiles(containerDir: string, config: Readonly<Record<string, string>>): LogFiles | undefined {
  const path = dualLoggingCachePath(containerDir, config);
  return path === undefined ? undefined : { path };
}

/** Starts the writer with the cache and one remote receiver (`syslog`, `gelf` or `fluentd` of FileCaptureOptions). */
export function startDualLoggingCapture(
  target: CaptureTarget,
  config: Readonly<Record<string, string>>,
  remote: Pick<FileCaptureOptions, 'syslog' | 'gelf' | 'fluentd'>,
): Promise<LogCapture> {
  const cache = dualLoggingCachePath(target.containerDir, config);
  return startFileCapture({
    runDir: target.runDir,
    nonBlocking: ringBytes(config),
    ...(cache !== undefined ? { path: cache } : {}),
    limits: cacheLimits(config),
    ...remote,
  });
}
