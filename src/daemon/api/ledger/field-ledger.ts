import type { LedgerEntry, LedgerTable } from './ledger-types.js';
import { containersLedger } from './containers-ledger.js';
import { execLedger } from './exec-ledger.js';
import { imagesLedger } from './images-ledger.js';
import { networksLedger } from './networks-ledger.js';
import { volumesLedger } from './volumes-ledger.js';
import { systemLedger } from './system-ledger.js';
import { swarmLedger } from './swarm-ledger.js';
import { pluginsLedger } from './plugins-ledger.js';

/** Every entry, keyed as ledger-types.ts describes; the endpoint groups are the swagger's tags. */
export const ledgerGroups: Readonly<Record<string, LedgerTable>> = {
  containers: containersLedger,
  exec: execLedger,
  images: imagesLedger,
  networks: networksLedger,
  volumes: volumesLedger,
  system: systemLedger,
  swarm: swarmLedger,
  plugins: pluginsLedger,
};

export const fieldLedger: ReadonlyMap<string, LedgerEntry> = new Map(Object.values(ledgerGroups).flatMap((t) => Object.entries(t)));

/**
 * The entry that decides `key`: its own, or the nearest refused ancestor
 * (an operation or field refused as a whole covers what lies beneath it).
 */
export function ledgerEntryFor(key: string): LedgerEntry | undefined {
  const own = fieldLedger.get(key);
  if (own) return own;
  for (const parent of ancestorsOf(key)) {
    const e = fieldLedger.get(parent);
    if (e?.state === 'refused') return e;
  }
  return undefined;
}

/** `POST /x body A[].B.C` → `POST /x body A[].B`, `POST /x body A`, `POST /x`; `GET /x ?p` → `GET /x`. */
export function ancestorsOf(key: string): string[] {
  const out: string[] = [];
  const m = /^(\S+ \S+)(?: (\?|header |body )(.+))?$/.exec(key);
  if (!m || m[1] === undefined) return out;
  const op = m[1];
  const tail = m[3];
  if (m[2] === 'body ' && tail !== undefined) {
    const parts = tail.split('.');
    for (let i = parts.length - 1; i > 0; i--) out.push(`${op} body ${parts.slice(0, i).join('.').replace(/(\[\]|\{\})+$/, '')}`);
  }
  if (tail !== undefined) out.push(op);
  return out;
}
