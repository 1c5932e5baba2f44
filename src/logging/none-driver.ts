import type { LogCapture, LogDriver } from './log-driver.js';

/** dockerd's none: output goes to attached clients only; conmon keeps no log. */
export const noneDriver: LogDriver = {
  name: 'none',
  startCapture(): Promise<LogCapture> {
    return Promise.resolve({ conmonLog: 'none:', abort: () => Promise.resolve() });
  },
  files(): undefined {
    return undefined;
  },
};
