/** go-units HumanDuration: "Less than a second", "1 second", "About a minute", "3 hours", "2 weeks"… */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** "5 seconds ago", as docker's RunningFor / CreatedSince. */
export function timeAgo(since: Date, now: Date = new Date()): string {
  return `${humanDuration(now.getTime() - since.getTime())} ago`;
}

export interface StateForStatus {
  Status?: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  Dead?: boolean;
  ExitCode: number;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status?: string } | null;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

function isZero(t: string): boolean {
  return t === '' || t === ZERO_TIME || t.startsWith('0001-01-01');
}

/** Docker's container State.String(): "Up 3 seconds", "Up 2 minutes (Paused)", "Exited (0) 5 seconds ago", "Created". */
export function containerStatus(state: StateForStatus, now: Date = new Date()): string {
  if (state.Running) {
    const up = humanDuration(now.getTime() - Date.parse(state.StartedAt));
    if (state.Paused) return `Up ${up} (Paused)`;
    if (state.Restarting) return `Restarting (${state.ExitCode}) ${humanDuration(now.getTime() - Date.parse(state.FinishedAt))} ago`;
    const health = state.Health?.Status;
    if (health === 'starting') return `Up ${up} (health: starting)`;
    if (health && health !== 'none') return `Up ${up} (${health})`;
    return `Up ${up}`;
  }
  if (state.Status === 'removing') return 'Removal In Progress';
  if (state.Dead) return 'Dead';
  if (isZero(state.StartedAt)) return 'Created';
  if (isZero(state.FinishedAt)) return '';
  return `Exited (${state.ExitCode}) ${humanDuration(now.getTime() - Date.parse(state.FinishedAt))} ago`;
}
