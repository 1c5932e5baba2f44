/**
 * `node dist/bench/exec-stats-run.js`: issue 3's benchmark alone (the full
 * `npm run bench` runs it too): exec/stats latency and per-container monitor
 * PSS on a harness berthd and on a reference dockerd (Debian docker.io, see
 * bench/REFERENCE-DOCKER.md) started on its own tmpfs and stopped at the end.
 * Writes bench/exec-stats-results.json. Environment: BENCH_ITERATIONS (20).
 */
import { writeFile } from 'node:fs/promises';
import { busyboxTarball, loadBusybox, repoRoot, runCli, startBerthd, type CliResult } from '../test/helpers/berthd-harness.js';
import { MONITOR_PSS_LABEL, measureExecAndStats } from './exec-stats.js';
import { startReferenceDockerd, type ReferenceDockerd } from '../test/helpers/reference-dockerd.js';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 20);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

function cliFor(env: NodeJS.ProcessEnv) {
  return async (args: string[], timeoutMs = 60_000): Promise<CliResult> => {
    const r = await runCli('docker', args, { env, timeoutMs });
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
    return r;
  };
}

/** The reference dockerd as REFERENCE-DOCKER.md runs it; returns its CLI env and a stop that removes everything. */
function startDockerd(): Promise<ReferenceDockerd> {
  return startReferenceDockerd();
}

async function main(): Promise<void> {
  const h = await startBerthd('bench-x');
  let berth: Record<string, number[]>;
  try {
    await loadBusybox(h);
    berth = await measureExecAndStats(cliFor(h.env), iterations, 20, h.dockerHost);
  } finally {
    await h.stop();
  }
  const d = await startDockerd();
  let docker: Record<string, number[]>;
  try {
    await cliFor(d.env)(['info']);
    const load = await runCli('docker', ['load'], { env: d.env, input: await busyboxTarball(), timeoutMs: 120_000 });
    if (load.code !== 0) throw new Error(`docker load: ${load.stderr}`);
    docker = await measureExecAndStats(cliFor(d.env), iterations, 20, d.env['DOCKER_HOST']);
  } finally {
    await d.stop();
  }
  const rows = Object.keys(berth).map((k) => {
    const b = median(berth[k] ?? []);
    const r = median(docker[k] ?? []);
    return { metric: k, unit: k === MONITOR_PSS_LABEL ? 'MiB' : 'ms', berth: b, docker: r, ratio: b / r };
  });
  const report = { date: new Date().toISOString(), iterations, rows, samples: { berth, docker } };
  await writeFile(`${repoRoot}/bench/exec-stats-results.json`, JSON.stringify(report, null, 2) + '\n');
  for (const r of rows) {
    process.stdout.write(`${r.metric} [${r.unit}]: berth ${r.berth.toFixed(2)}  docker ${r.docker.toFixed(2)}  berth/docker ${r.ratio.toFixed(2)}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
