/**
 * Issue 3's benchmarks, run by bench/run.ts on each engine through the docker CLI:
 * `exec true` latency on a running container, and `stats --no-stream` with 20
 * running containers (Docker's stream=false takes two readings a second apart).
 */
import { performance } from 'node:perf_hooks';
import type { CliResult } from '../test/helpers/berthd-harness.js';

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

/** Returns sample lists keyed by metric label (ms). */
export async function measureExecAndStats(docker: Docker, iterations: number, statsContainers = 20): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  const ids: string[] = [];
  try {
    for (let i = 0; i < statsContainers; i++) {
      ids.push((await docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '3600'])).stdout.trim());
    }
    const target = ids[0] ?? '';
    out['exec true (docker CLI)'] = await timeIt(iterations, () => docker(['exec', target, 'true']));
    out[`stats --no-stream, ${statsContainers} running (docker CLI)`] = await timeIt(Math.min(iterations, 5), () => docker(['stats', '--no-stream'], 120_000));
  } finally {
    for (let i = 0; i < ids.length; i += 50) await docker(['rm', '-f', ...ids.slice(i, i + 50)], 120_000);
  }
  process.stderr.write(`exec true median ${median(out['exec true (docker CLI)'] ?? []).toFixed(1)} ms\n`);
  return out;
}
