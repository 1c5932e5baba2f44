function pad(n: number, len = 2): string {
  return String(n).padStart(len, '0');
}

function offsetString(date: Date, sep: string): string {
  const off = -date.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${sign}${pad(Math.trunc(abs / 60))}${sep}${pad(abs % 60)}`;
}

function zoneName(date: Date): string {
  if (date.getTimezoneOffset() === 0 && (process.env['TZ'] === undefined || /^(UTC|Etc\/UTC|)$/.test(process.env['TZ'] ?? ''))) return 'UTC';
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? offsetString(date, '');
}

/** Go's time.Time.String() in local time for whole seconds: "2024-05-01 10:00:00 +0000 UTC". */
export function goTimeString(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())} ${offsetString(date, '')} ${zoneName(date)}`
  );
}

/** RFC 3339 in local time, seconds precision ("2024-05-01T10:00:00Z" or "…+02:00"), as Go's time.RFC3339. */
export function rfc3339(date: Date): string {
  const off = date.getTimezoneOffset() === 0 ? 'Z' : offsetString(date, ':');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${off}`
  );
}
