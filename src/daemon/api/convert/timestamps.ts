/** ns since epoch → RFC 3339 with 9 fractional digits in UTC (`…Z`), as `docker logs -t` shows. */
export function formatTimestamp(timeNs: bigint): string {
  const sec = timeNs / 1_000_000_000n;
  const frac = timeNs % 1_000_000_000n;
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}
