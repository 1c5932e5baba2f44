import { join } from 'node:path';
import { jsonFileAttrs } from './log-attrs.js';
import { startFileCapture } from './log-capture.js';
import type { CaptureTarget, LogCapture, LogDriver, LogFiles } from './log-driver.js';
import { jsonFileLimits, ringBytes } from './log-options.js';

/** dockerd's json-file: `<containerDir>/<id>-json.log`, records in Docker's format, rotation by max-size/max-file. */
export const jsonFileDriver: LogDriver = {
  name: 'json-file',
  async startCapture(target: CaptureTarget, config: Readonly<Record<string, string>>): Promise<LogCapture> {
    const limits = jsonFileLimits(config);
    const attrs = jsonFileAttrs(config, target.info);
    return startFileCapture({ runDir: target.runDir, nonBlocking: ringBytes(config), path: jsonLogPath(target.containerDir, target.id), limits, ...(attrs !== undefined ? { attrs } : {}) });
  },
  files(containerDir: string, id: string): LogFiles {
    return { path: jsonLogPath(containerDir, id) };
  },
};

function jsonLogPath(containerDir: string, id: string): string {
  return join(containerDir, `${id}-json.log`);
}
