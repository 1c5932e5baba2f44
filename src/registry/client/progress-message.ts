/** One message of Docker's JSON progress stream (jsonmessage.JSONMessage). */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
}

export type ProgressSink = (message: ProgressMessage) => void;

/** Docker's units.HumanSize: decimal units, 4 significant digits. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/** The `progress` text Docker's daemon sends beside progressDetail: `[==>   ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return `${humanSize(current).padStart(8)}`;
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  return `[${'='.repeat(filled)}>${' '.repeat(Math.max(0, 50 - filled))}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** A short status for a layer id (12 hex characters, as Docker's TruncateID). */
export function layerStatus(status: string, id: string): ProgressMessage {
  return { status, progressDetail: {}, id };
}

export function layerProgress(status: string, id: string, current: number, total: number): ProgressMessage {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

export const shortId = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
