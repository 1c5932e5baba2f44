// The on-disk record of each running berth-proxy, so that a restarted daemon can re-adopt or end it.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';

/**
 * One berth-proxy process and the mapping it serves. Lifecycle: written
 * (atomically) once the proxy reported its port → read at daemon start to
 * re-adopt it → removed once the process is gone. `startTime` (field 22 of
 * /proc/<pid>/stat) tells the proxy from a later process given the same pid.
 */
export interface PortProxyRecord {
  readonly pid: number;
  readonly startTime: string;
  readonly containerId: string;
  readonly proto: 'tcp' | 'udp';
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerIp: string;
  readonly containerPort: number;
}

const PROXY_COMM = 'berth-proxy';

function fileName(r: Pick<PortProxyRecord, 'containerId' | 'proto' | 'hostIp' | 'hostPort'>): string {
  const ip = r.hostIp === '' ? 'any' : r.hostIp.replace(/[^0-9A-Za-z.]/g, '_');
  return `${r.containerId}-${r.proto}-${ip}-${r.hostPort}.json`;
}

/** comm and start time of a live process (a zombie counts as gone); undefined when there is none. */
export async function processFacts(pid: number): Promise<{ comm: string; startTime: string } | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After "pid (comm) ": field 3 (state) is index 0, field 22 (starttime) index 19.
  const rest = stat.slice(close + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  const startTime = rest[19];
  if (startTime === undefined) return undefined;
  return { comm: stat.slice(open + 1, close), startTime };
}

/** Whether the recorded proxy is still the process with that pid. */
export async function isRecordedProcess(r: Pick<PortProxyRecord, 'pid' | 'startTime'>): Promise<boolean> {
  const facts = await processFacts(r.pid);
  return facts !== undefined && facts.comm === PROXY_COMM && facts.startTime === r.startTime;
}

/** The store of proxy records of one daemon: a directory under its exec root. */
export class PortProxyRecords {
  constructor(readonly dir: string) {}

  async write(r: PortProxyRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.dir, fileName(r)), JSON.stringify(r), { mode: 0o600 });
  }

  async remove(r: PortProxyRecord): Promise<void> {
    await rm(join(this.dir, fileName(r)), { force: true });
  }

  /** Every readable record; unreadable files and temp files a crash left are removed. */
  async list(): Promise<PortProxyRecord[]> {
    const out: PortProxyRecord[] = [];
    for (const f of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, f);
      const r = f.endsWith('.json') && !f.startsWith('.') ? await readRecord(path) : undefined;
      if (r) out.push(r);
      else await rm(path, { force: true });
    }
    return out;
  }
}

async function readRecord(path: string): Promise<PortProxyRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(path, 'utf8')) as Partial<PortProxyRecord>;
    if (typeof r.pid !== 'number' || typeof r.startTime !== 'string' || typeof r.containerId !== 'string') return undefined;
    if ((r.proto !== 'tcp' && r.proto !== 'udp') || typeof r.hostIp !== 'string' || typeof r.hostPort !== 'number') return undefined;
    if (typeof r.containerIp !== 'string' || typeof r.containerPort !== 'number') return undefined;
    return r as PortProxyRecord;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (or is another process now). */
export async function endProcess(r: Pick<PortProxyRecord, 'pid' | 'startTime'>, graceMs = 5_000): Promise<void> {
  if (!(await isRecordedProcess(r))) return;
  signal(r.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (await isRecordedProcess(r)) {
    if (!killed && Date.now() >= deadline) {
      signal(r.pid, 'SIGKILL');
      killed = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** berth-proxy processes started with `-owner <owner>` (found even when their record was never written). */
export async function ownedProxyProcesses(owner: string): Promise<Array<{ pid: number; startTime: string }>> {
  const out: Array<{ pid: number; startTime: string }> = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (!(argv[0] ?? '').endsWith(`/${PROXY_COMM}`)) continue;
    const i = argv.indexOf('-owner');
    if (i < 0 || argv[i + 1] !== owner) continue;
    const facts = await processFacts(Number(entry));
    if (facts) out.push({ pid: Number(entry), startTime: facts.startTime });
  }
  return out;
}
