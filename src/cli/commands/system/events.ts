import { streamEvents, type EventMessage } from '../../../client/events-api.js';
import type { Filters } from '../../../client/containers-api.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import { CliExit } from '../../cli-errors.js';
import { parseTemplate } from '../../format/row-format.js';

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * docker's GetTimestamp: a Go duration ("10m", "1h30m") counts back from
 * now; Unix seconds pass through; other dates are parsed. Returns "sec.nanos".
 */
export function eventTimestamp(value: string, nowMs = Date.now()): string {
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === value) {
    const seconds = parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS[p[2] ?? 's'] ?? 1), 0);
    return unixString(nowMs - seconds * 1000);
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return unixString(ms);
}

function unixString(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return `${sec}.${String(Math.round((ms - sec * 1000) * 1e6)).padStart(9, '0')}`;
}

/** 2006-01-02T15:04:05.000000000Z07:00 in local time, as docker prints event times. */
function fixedNano(timeNano: number): string {
  const ms = Math.floor(timeNano / 1e6);
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const nanos = String(BigInt(Math.round(timeNano)) % 1_000_000_000n).padStart(9, '0');
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${nanos}${zone}`;
}

/** docker's default event line: time type action id (k=v, …) with attributes sorted by key. */
export function eventLine(e: EventMessage): string {
  const attrs = Object.keys(e.Actor.Attributes)
    .sort()
    .map((k) => `${k}=${e.Actor.Attributes[k] ?? ''}`);
  return `${fixedNano(e.timeNano)} ${e.Type} ${e.Action} ${e.Actor.ID}${attrs.length > 0 ? ` (${attrs.join(', ')})` : ''}\n`;
}

export const eventsCommand: CommandSpec = {
  path: ['system', 'events'],
  aliases: [['events']],
  usage: '[OPTIONS]',
  description: 'Get real time events from the server',
  args: { kind: 'none' },
  flags: [
    { long: 'filter', short: 'f', kind: 'list', description: 'Filter output based on conditions provided' },
    { long: 'format', kind: 'string', description: 'Format output using a custom template' },
    { long: 'since', kind: 'string', description: 'Show all events created since timestamp' },
    { long: 'until', kind: 'string', description: 'Stream events until this timestamp' },
  ],
  async run(ctx, flags) {
    const filters: Filters = {};
    for (const f of flags.list('filter')) {
      const i = f.indexOf('=');
      if (i <= 0) throw new CliExit(125, `${ctx.prog}: invalid filter '${f}'\n`);
      (filters[f.slice(0, i)] ??= []).push(f.slice(i + 1));
    }
    let since: string | undefined;
    let until: string | undefined;
    try {
      const s = flags.string('since');
      const u = flags.string('until');
      since = s ? eventTimestamp(s) : undefined;
      until = u ? eventTimestamp(u) : undefined;
    } catch (err) {
      throw new CliExit(125, `${ctx.prog}: ${(err as Error).message}\n`);
    }
    const format = flags.string('format');
    const template = format === undefined || format === '' ? undefined : parseTemplate(format === 'json' ? '{{json .}}' : format);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const e of streamEvents(ctx.client().transport, { ...(since ? { since } : {}), ...(until ? { until } : {}), filters, signal: abort.signal })) {
        ctx.out(template ? `${template.execute(e)}\n` : eventLine(e));
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  },
};
