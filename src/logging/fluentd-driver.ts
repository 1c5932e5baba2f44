import { extraAttributes } from './log-attrs.js';
import { dualLoggingFiles, startDualLoggingCapture } from './dual-logging.js';
import type { CaptureTarget, LogCapture, LogDriver, LogFiles } from './log-driver.js';
import { expandLogTag } from './log-tag.js';
import { parseFluentdOptions } from './fluentd-options.js';

/**
 * dockerd's fluentd driver: berth-logger sends each record to a fluentd
 * forward receiver ([tag, time, record, option] in msgpack; record fields
 * container_id, container_name, source, log and labels/env), sync or
 * fluentd-async, with dual logging's cache for `logs` (see syslog-driver.ts).
 */
export const fluentdDriver: LogDriver = {
  name: 'fluentd',
  async startCapture(target: CaptureTarget, config: Readonly<Record<string, string>>): Promise<LogCapture> {
    const f = parseFluentdOptions(config);
    const info = target.info;
    const fields = extraAttributes(config, info);
    fields.set('container_id', info.id);
    // dockerd: the name with its leading "/".
    fields.set('container_name', info.name.startsWith('/') ? info.name : `/${info.name}`);
    return startDualLoggingCapture(target, config, { fluentd: { ...f, tag: expandLogTag(config['tag'] ?? '{{.ID}}', info), fields: [...fields].map(([k, v]) => `${k}=${v}`) } });
  },
  files(containerDir: string, _id: string, config: Readonly<Record<string, string>>): LogFiles | undefined {
    return dualLoggingFiles(containerDir, config);
  },
};

