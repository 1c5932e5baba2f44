/**
 * Issue 3's benchmarks, run by bench/run.ts on each engine through the docker CLI:
 * `exec true` latency on a running container, and `stats --no-stream` with 20
 * running containers (Docker's stream=false takes two readings a second apart),
 * and the memory of the per-container monitor processes (PSS) with 10 running.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { BerthClient } from '../src/client/berth-client.js';
import { parseHost } from '../src/client/engine-host.js';
import { ExecApi } from '../src/client/exec-api.js';
import type { CliResult } from '../test/helpers/berthd-harness.js';

export const MONITOR_CONTAINERS = 10;
export const MONITOR_PSS_LABEL = `monitor PSS per running container (${MONITOR_CONTAINERS} running)`;
export const EXEC_CLI_LABEL = 'exec true (docker CLI)';
export const EXEC_API_LABEL = 'exec true (Engine API: create + attached start + inspect)';

type Docker = (args: string[], timeoutMs?: number) => Promise<CliResult>;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** Proportional set size of one process, KiB (shared pages split among their users). */
async function pssKiB(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const kb = /^Pss:\s+(\d+)\s+kB/m.exec(text)?.[1];
  return kb === undefined ? NaN : Number(kb);
}

async function parentOf(pid: number): Promise<{ pid: number; comm: string } | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  if (!Number.isInteger(ppid) || ppid <= 1) return undefined;
  const comm = (await readFile(`/proc/${ppid}/comm`, 'utf8').catch(() => '')).trim();
  return { pid: ppid, comm };
}

/**
 * Per-container monitor memory: the parent of each container's init process
 * is its monitor (conmon for Berth, containerd-shim-runc-v2 for Docker); the
 * mean PSS of those monitors over the running containers, in MiB.
 */
export async function monitorPssPerContainer(docker: Docker, ids: readonly string[]): Promise<{ mib: number; monitors: string[] }> {
  const pids = (await docker(['inspect', '-f', '{{.State.Pid}}', ...ids])).stdout.trim().split('\n').map(Number);
  const monitors = new Map<number, string>();
  for (const pid of pids) {
    const parent = await parentOf(pid);
    if (parent) monitors.set(parent.pid, parent.comm);
  }
  let total = 0;
  for (const pid of monitors.keys()) total += await pssKiB(pid);
  return { mib: total / 1024 / ids.length, monitors: [...new Set(monitors.values())] };
}

/**
 * One `exec true` as the docker CLI does it, without the CLI: create, start
 * attached (hijacked stream read to its end), inspect for the exit code.
 */
async function apiExecTrue(api: ExecApi, container: string): Promise<void> {
  const { Id } = await api.create(container, { Cmd: ['true'], AttachStdout: true, AttachStderr: true });
  const conn = await api.startAttached(Id, { tty: false });
  await new Promise<void>((resolve, reject) => {
    conn.socket.once('end', resolve);
    conn.socket.once('close', resolve);
    conn.socket.once('error', reject);
    conn.socket.resume();
  });
  conn.socket.destroy();
  const r = await api.inspect(Id);
  if (r.ExitCode !== 0) throw new Error(`exec true exited ${String(r.ExitCode)}`);
}

/**
 * Returns sample lists keyed by metric label (ms; the monitor PSS label is
 * MiB). `dockerHost` (unix://…) adds the Engine-API-level exec row.
 */
export async function measureExecAndStats(docker: Docker, iterations: number, statsContainers = 20, dockerHost?: string): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  const ids: string[] = [];
  try {
    for (let i = 0; i < statsContainers; i++) {
      ids.push((await docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '3600'])).stdout.trim());
      if (ids.length === MONITOR_CONTAINERS) {
        await new Promise((r) => setTimeout(r, 1_000));
        const m = await monitorPssPerContainer(docker, ids);
        out[MONITOR_PSS_LABEL] = [m.mib];
        process.stderr.write(`monitor PSS per container ${m.mib.toFixed(2)} MiB (${m.monitors.join(', ')})\n`);
      }
    }
    const target = ids[0] ?? '';
    out[EXEC_CLI_LABEL] = await timeIt(iterations, () => docker(['exec', target, 'true']));
    if (dockerHost !== undefined) {
      const api = new ExecApi(new BerthClient({ host: parseHost(dockerHost) }).transport);
      out[EXEC_API_LABEL] = await timeIt(iterations, () => apiExecTrue(api, target));
    }
    out[`stats --no-stream, ${statsContainers} running (docker CLI)`] = await timeIt(Math.min(iterations, 5), () => docker(['stats', '--no-stream'], 120_000));
  } finally {
    for (let i = 0; i < ids.length; i += 50) await docker(['rm', '-f', ...ids.slice(i, i + 50)], 120_000);
  }
  process.stderr.write(`exec true median ${median(out[EXEC_CLI_LABEL] ?? []).toFixed(1)} ms (CLI), ${median(out[EXEC_API_LABEL] ?? []).toFixed(1)} ms (API)\n`);
  return out;
}
