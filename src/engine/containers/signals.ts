import { constants } from 'node:os';
import { invalidArgument } from '../../errors/engine-error.js';

const byName = constants.signals as Record<string, number>;

/** Parses "SIGTERM", "TERM", "term" or "15" as Docker's signal.ParseSignal does. */
export function parseSignal(value: string): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (n < 1 || n > 64) throw invalidArgument(`Invalid signal: ${value}`);
    return n;
  }
  const upper = trimmed.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const n = byName[name];
  if (n === undefined) throw invalidArgument(`Invalid signal: ${value}`);
  return n;
}

export const SIGKILL = 9;
export const SIGTERM = 15;
