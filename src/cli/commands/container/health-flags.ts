import type { FlagSpec, FlagValues } from '../../argv/flag-parser.js';

/** create/run's health check flags, as docker's. */
export const HEALTH_FLAGS: FlagSpec[] = [
  { long: 'health-cmd', kind: 'string', description: 'Command to run to check health' },
  { long: 'health-interval', kind: 'string', valueName: 'duration', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { long: 'health-retries', kind: 'int', description: 'Consecutive failures needed to report unhealthy' },
  { long: 'health-start-interval', kind: 'string', valueName: 'duration', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { long: 'health-start-period', kind: 'string', valueName: 'duration', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { long: 'health-timeout', kind: 'string', valueName: 'duration', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { long: 'no-healthcheck', kind: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
];

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration → nanoseconds. */
export function parseGoDuration(value: string, flag: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (value === '0') return 0;
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new Error(`invalid argument "${value}" for "--${flag}" flag: time: invalid duration "${value}"`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_NS[p[2] ?? 's'] ?? 1), 0));
}

/** The Healthcheck config the flags ask for, or undefined (docker's run opts parsing). */
export function healthcheckFromFlags(flags: FlagValues): Record<string, unknown> | undefined {
  const durations = ['health-interval', 'health-timeout', 'health-start-period', 'health-start-interval'].filter((f) => flags.has(f));
  const cmd = flags.string('health-cmd');
  const retries = flags.int('health-retries');
  const any = cmd !== undefined || retries !== undefined || durations.length > 0;
  if (flags.bool('no-healthcheck')) {
    if (any) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  const ns = (flag: string, what: string): number => {
    const v = flags.string(flag);
    const n = v === undefined ? 0 : parseGoDuration(v, flag);
    if (n !== 0 && n < 1e6) throw new Error(`--${flag} cannot be less than 1ms`);
    if (n < 0) throw new Error(`--${what} cannot be negative`);
    return n;
  };
  if (retries !== undefined && retries < 0) throw new Error('--health-retries cannot be negative');
  return {
    ...(cmd !== undefined && cmd !== '' ? { Test: ['CMD-SHELL', cmd] } : {}),
    Interval: ns('health-interval', 'health-interval'),
    Timeout: ns('health-timeout', 'health-timeout'),
    StartPeriod: ns('health-start-period', 'health-start-period'),
    StartInterval: ns('health-start-interval', 'health-start-interval'),
    Retries: retries ?? 0,
  };
}
