/**
 * `npm run bench`: Berth against Docker on the same host, same client, same image.
 *
 * Starts a berthd through the test harness (tmpfs root, own socket and bridge)
 * and, when Debian's docker.io `dockerd` is installed, a dockerd on its own
 * tmpfs root/socket with networking off. Both get the busybox image from
 * scripts/images/busybox.sh. Containers run with `--network none` on both so
 * the numbers compare the engines, not their network setup.
 * Prints medians and berth/docker ratios and writes bench/results.json.
 * Environment: BENCH_ITERATIONS (default 20), BENCH_PS_CONTAINERS (default 100).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  busyboxTarball,
  loadBusybox,
  repoRoot,
  runCli,
  startBerthd,
  type CliResult,
} from '../test/helpers/berthd-harness.js';
import { MONITOR_PSS_LABEL, measureExecAndStats } from './exec-stats.js';
import { startReferenceDockerd } from '../test/helpers/reference-dockerd.js';

const iterations = Number(process.env.BENCH_ITERATIONS ?? 20);
const psContainers = Number(process.env.BENCH_PS_CONTAINERS ?? 100);
const resultsFile = `${repoRoot}/bench/results.json`;

/** An engine under test as the benchmark sees it: a CLI environment and a daemon pid. */
interface Engine {
  readonly name: 'berth' | 'docker';
  readonly env: NodeJS.ProcessEnv;
  /** The daemon's processes whose RSS counts: berthd alone; dockerd plus its containerd. */
  readonly pids: () => Promise<ReadonlyArray<{ readonly name: string; readonly pid: number | undefined }>>;
  readonly stop: () => Promise<void>;
}

interface Metric {
  readonly unit: 'ms' | 'MiB';
  readonly median: number;
  readonly p90: number;
  readonly samples: readonly number[];
}
type Results = Record<string, Metric>;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
/** Nearest-rank percentile. */
const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN);
};
const metric = (unit: Metric['unit'], samples: readonly number[]): Metric => ({
  unit,
  median: median(samples),
  p90: percentile(samples, 90),
  samples,
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function must(p: Promise<CliResult>, what: string): Promise<CliResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}

/** Times `fn` `n` times after one warm-up run; milliseconds. */
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

async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}

/** Total RSS of the engine's daemon processes, plus one metric per process. */
async function daemonRss(engine: Engine, label: string, results: Results): Promise<void> {
  const procs = await engine.pids();
  let total = 0;
  for (const p of procs) {
    const mib = await rssMiB(p.pid);
    total += mib;
    if (procs.length > 1) results[`${label}: ${p.name}`] = metric('MiB', [mib]);
  }
  results[label] = metric('MiB', [total]);
}

async function measure(engine: Engine): Promise<Results> {
  const docker = (args: string[], timeoutMs = 60_000): Promise<CliResult> =>
    must(runCli('docker', args, { env: engine.env, timeoutMs }), `docker ${args.join(' ')}`);
  const results: Results = {};
  const step = (label: string): void => void process.stderr.write(`[${engine.name}] ${label}\n`);

  step('idle RSS');
  await sleep(2_000);
  await daemonRss(engine, 'daemon idle RSS', results);

  if (engine.name === 'berth') {
    step('run --rm via berth CLI');
    results['run --rm busybox true (berth CLI)'] = metric(
      'ms',
      await timeIt(iterations, () =>
        must(runCli('berth', ['run', '--rm', '--network', 'none', 'busybox', 'true'], { env: engine.env }), 'berth run'),
      ),
    );
  }
  step('run --rm via docker CLI');
  results['run --rm busybox true (docker CLI)'] = metric(
    'ms',
    await timeIt(iterations, () => docker(['run', '--rm', '--network', 'none', 'busybox', 'true'])),
  );

  step('create / start / wait / rm');
  const phases: Record<string, number[]> = { create: [], start: [], wait: [], rm: [] };
  for (let i = 0; i <= iterations; i++) {
    const t0 = performance.now();
    const id = (await docker(['create', '--network', 'none', 'busybox', 'true'])).stdout.trim();
    const t1 = performance.now();
    await docker(['start', id]);
    const t2 = performance.now();
    await docker(['wait', id]);
    const t3 = performance.now();
    await docker(['rm', id]);
    const t4 = performance.now();
    if (i === 0) continue; // warm-up
    phases.create?.push(t1 - t0);
    phases.start?.push(t2 - t1);
    phases.wait?.push(t3 - t2);
    phases.rm?.push(t4 - t3);
  }
  for (const [phase, samples] of Object.entries(phases)) results[`${phase} (docker CLI)`] = metric('ms', samples);

  step(`ps -a with ${psContainers} containers`);
  const ids: string[] = [];
  for (let i = 0; i < psContainers; i++) ids.push((await docker(['create', '--network', 'none', 'busybox', 'true'])).stdout.trim());
  try {
    results[`ps -a, ${psContainers} containers (docker CLI)`] = metric('ms', await timeIt(iterations, () => docker(['ps', '-a'])));
    if (engine.name === 'berth') {
      results[`ps -a, ${psContainers} containers (berth CLI)`] = metric(
        'ms',
        await timeIt(iterations, () => must(runCli('berth', ['ps', '-a'], { env: engine.env }), 'berth ps')),
      );
    }
  } finally {
    for (let i = 0; i < ids.length; i += 50) await docker(['rm', '-f', ...ids.slice(i, i + 50)], 120_000);
  }

  step('exec and stats');
  for (const [label, samples] of Object.entries(await measureExecAndStats(docker, iterations))) {
    results[label] = metric(label === MONITOR_PSS_LABEL ? 'MiB' : 'ms', samples);
  }

  step('RSS after the workload');
  await sleep(2_000);
  await daemonRss(engine, 'daemon RSS after workload', results);
  return results;
}

function which(name: string): string | undefined {
  const path = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return path
    .split(':')
    .map((dir) => `${dir}/${name}`)
    .find((p) => existsSync(p));
}

/** The reference dockerd (test/helpers/reference-dockerd.ts) plus its containerd's pid for RSS. */
async function startDockerd(): Promise<Engine> {
  const ref = await startReferenceDockerd();
  const pids = async (): Promise<Array<{ name: string; pid: number | undefined }>> => {
    const containerd = Number((await readFile(`${ref.root}/exec/containerd/containerd.pid`, 'utf8').catch(() => '')).trim());
    return [
      { name: 'dockerd', pid: ref.pid },
      { name: 'containerd', pid: Number.isInteger(containerd) && containerd > 0 ? containerd : undefined },
    ];
  };
  return { name: 'docker', env: ref.env, pids, stop: () => ref.stop() };
}

function table(berth: Results, docker: Results | undefined): string {
  const rows = [['metric (median)', 'berth', 'docker', 'berth/docker', 'berth p90', 'docker p90']];
  const fmt = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(1));
  const names = [...Object.keys(berth), ...Object.keys(docker ?? {}).filter((k) => !(k in berth))];
  for (const name of names) {
    const m = berth[name];
    const d = docker?.[name];
    const unit = (m ?? d)?.unit ?? '';
    const timed = unit === 'ms';
    rows.push([
      `${name} [${unit}]`,
      m ? fmt(m.median) : '-',
      d ? fmt(d.median) : '-',
      m && d ? (m.median / d.median).toFixed(2) : '-',
      m && timed ? fmt(m.p90) : '',
      d && timed ? fmt(d.p90) : '',
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the benchmark starts daemons and needs root');
  await busyboxTarball();

  const h = await startBerthd('bench');
  let berth: Results;
  try {
    await loadBusybox(h);
    berth = await measure({
      name: 'berth',
      env: h.env,
      pids: () => Promise.resolve([{ name: 'berthd', pid: h.pid }]),
      stop: () => h.stop(),
    });
  } finally {
    await h.stop();
  }

  let docker: Results | undefined;
  const dockerdPath = which('dockerd');
  if (dockerdPath === undefined) {
    process.stderr.write('dockerd not installed (apt-get install docker.io): Berth numbers only\n');
  } else {
    const engine = await startDockerd();
    try {
      await must(runCli('docker', ['load'], { env: engine.env, input: await busyboxTarball(), timeoutMs: 120_000 }), 'docker load');
      docker = await measure(engine);
    } finally {
      await engine.stop();
    }
  }

  const ratios = Object.fromEntries(
    Object.entries(berth).flatMap(([k, m]) => {
      const d = docker?.[k];
      return d ? [[k, m.median / d.median]] : [];
    }),
  );
  const report = {
    date: new Date().toISOString(),
    host: { node: process.version, kernel: (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim(), iterations },
    berth,
    docker: docker ?? null,
    ratios,
  };
  await writeFile(resultsFile, JSON.stringify(report, null, 2) + '\n');
  const runRatio = ratios['run --rm busybox true (docker CLI)'];
  const verdict =
    runRatio === undefined
      ? ''
      : `\nrun --rm latency berth/docker = ${runRatio.toFixed(2)} (target <= 0.50: ${runRatio <= 0.5 ? 'met' : 'NOT met'})`;
  process.stdout.write(`${table(berth, docker)}\n${verdict}\n\nwritten to ${resultsFile}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
