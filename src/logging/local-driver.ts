import { join } from 'node:path';
import { startFileCapture } from './log-capture.js';
import type { CaptureTarget, LogCapture, LogDriver, LogFiles } from './log-driver.js';
import { localLimits, ringBytes } from './log-options.js';

/**
 * dockerd's local driver: rotated by default (20 MiB × 5, compressed), in
 * `<containerDir>/local-logs/container.log`. dockerd writes protobuf entries
 * there; Berth writes the json-file records (nobody but `logs` reads this
 * file, and dockerd documents its format as internal).
 */
export const localDriver: LogDriver = {
  name: 'local',
  async startCapture(target: CaptureTarget, config: Readonly<Record<string, string>>): Promise<LogCapture> {
    const limits = localLimits(config);
    return startFileCapture({ runDir: target.runDir, nonBlocking: ringBytes(config), path: localLogPath(target.containerDir), limits });
  },
  files(containerDir: string): LogFiles {
    return { path: localLogPath(containerDir) };
  },
};

function localLogPath(containerDir: string): string {
  return join(containerDir, 'local-logs', 'container.log');
}
