import { hostname } from 'node:os';
import { extraAttributes, goJsonFields } from './log-attrs.js';
import { dualLoggingFiles, startDualLoggingCapture } from './dual-logging.js';
import type { CaptureTarget, LogCapture, LogDriver, LogFiles } from './log-driver.js';
import { expandLogTag } from './log-tag.js';
import { parseGelfOptions } from './gelf-options.js';

/**
 * dockerd's gelf driver: berth-logger sends each record as a GELF 1.1
 * message (UDP compressed and chunked, or TCP), with dockerd's extra fields
 * (_container_id, _container_name, _image_id, _image_name, _command,
 * _created, _tag, and labels/env as "_<key>"); dual logging's local cache
 * serves `logs` (see syslog-driver.ts).
 */
export const gelfDriver: LogDriver = {
  name: 'gelf',
  async startCapture(target: CaptureTarget, config: Readonly<Record<string, string>>): Promise<LogCapture> {
    const g = parseGelfOptions(config);
    const info = target.info;
    const extra = extraAttributes(config, info, (k) => (k.startsWith('_') ? k : `_${k}`));
    for (const [k, v] of Object.entries({
      _container_id: info.id,
      _container_name: info.name.replace(/^\//, ''),
      _image_id: info.imageId,
      _image_name: info.imageName,
      _command: info.command,
      _created: info.created,
      _tag: expandLogTag(config['tag'] ?? '{{.ID}}', info),
    })) {
      extra.set(k, v);
    }
    return startDualLoggingCapture(target, config, { gelf: { ...g, hostname: hostname(), extra: goJsonFields(extra) } });
  },
  files(containerDir: string, _id: string, config: Readonly<Record<string, string>>): LogFiles | undefined {
    return dualLoggingFiles(containerDir, config);
  },
};

