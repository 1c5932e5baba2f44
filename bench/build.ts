/**
 * `node dist/bench/build.js`: the classic builder, Berth against Docker.
 *
 * One Dockerfile, FROM busybox with 10 RUN steps and a 20 MB COPY, built
 * cold (`--no-cache`) and fully cached, `BENCH_BUILD_ITERATIONS` times each
 * (default 3; cached rounds BENCH_BUILD_CACHED_ITERATIONS, default 21), by the docker CLI with DOCKER_BUILDKIT=0 against a berthd
 * (test harness) and, when Debian's `dockerd` is installed, a dockerd on its
 * own tmpfs root (no bridge, no iptables); then the same through `berth build`.
 * Prints medians and ratios against the docker CLI on dockerd.
 * Targets: cold ≤ 1× Docker, cached ≤ 0.5× Docker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { busyboxTarball, loadBusybox, runCli, startBerthd } from '../test/helpers/berthd-harness.js';
import { DOCKERD, startReferenceDockerd, type ReferenceDockerd } from '../test/helpers/reference-dockerd.js';

const iterations = Number(process.env.BENCH_BUILD_ITERATIONS ?? 3);
/** Cached builds take ~0.1 s: many more rounds for a stable median on a shared VM. */
const cachedIterations = Number(process.env.BENCH_BUILD_CACHED_ITERATIONS ?? Math.max(21, iterations));
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

async function makeContext(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const runs = Array.from({ length: 10 }, (_, i) => `RUN echo step ${i} > /step${i}`).join('\n');
  await writeFile(`${dir}/Dockerfile`, `FROM busybox\n${runs}\nCOPY big.bin /big.bin\n`);
  await writeFile(`${dir}/big.bin`, randomBytes(20 * 1024 * 1024));
}

async function startDockerd(): Promise<ReferenceDockerd | undefined> {
  if (!DOCKERD) return undefined;
  const ref = await startReferenceDockerd();
  const load = await runCli('docker', ['load'], { env: ref.env, input: await busyboxTarball(), timeoutMs: 120_000 });
  if (load.code !== 0) {
    await ref.stop();
    throw new Error(`docker load failed: ${load.stderr}`);
  }
  return ref;
}

type Builder = (args: string[]) => Promise<number>;

function builder(env: NodeJS.ProcessEnv, context: string, cli: 'docker' | 'berth'): Builder {
  return async (args) => {
    const t0 = performance.now();
    const r = await runCli(cli, ['build', '--network', 'none', ...args, context], { env: { ...env, DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`build failed: ${r.stderr}${r.stdout}`);
    return performance.now() - t0;
  };
}

/**
 * Cold then fully cached builds, the configurations interleaved round by
 * round so that each sees the same machine load (this VM is shared: a
 * sequential run compares one minute's load with another's).
 */
async function measure(builders: readonly Builder[]): Promise<{ cold: number; cached: number }[]> {
  for (const b of builders) await b(['-t', 'bench-build']);
  const cold: number[][] = builders.map(() => []);
  const cached: number[][] = builders.map(() => []);
  for (let i = 0; i < iterations; i++) for (const [j, b] of builders.entries()) cold[j]?.push(await b(['--no-cache', '-t', 'bench-build']));
  for (let i = 0; i < cachedIterations; i++) for (const [j, b] of builders.entries()) cached[j]?.push(await b(['-t', 'bench-build']));
  return builders.map((_, j) => ({ cold: median(cold[j] ?? []), cached: median(cached[j] ?? []) }));
}

async function main(): Promise<void> {
  const context = `/dev/shm/berth-bench-build-${randomBytes(3).toString('hex')}`;
  await makeContext(context);
  const h = await startBerthd('bench-build');
  let docker: Awaited<ReturnType<typeof startDockerd>>;
  try {
    await loadBusybox(h);
    docker = await startDockerd();
    const builders = [builder(h.env, context, 'docker'), builder(h.env, context, 'berth'), ...(docker ? [builder(docker.env, context, 'docker')] : [])];
    const [berth, berthCli, ref] = await measure(builders);
    if (!berth || !berthCli) throw new Error('no measurements');
    const row = (name: string, b: number, d: number | undefined): string =>
      `${name.padEnd(30)} berth ${b.toFixed(0).padStart(6)} ms   docker ${d === undefined ? '     -' : d.toFixed(0).padStart(6)} ms   ratio ${d === undefined ? '-' : (b / d).toFixed(2)}`;
    process.stdout.write(`classic build, FROM busybox + 10 RUN + 20 MB COPY (medians of ${iterations} cold and ${cachedIterations} cached rounds, interleaved); docker = docker CLI → dockerd\n`);
    process.stdout.write(`${row('cold (docker CLI)', berth.cold, ref?.cold)}\n${row('fully cached (docker CLI)', berth.cached, ref?.cached)}\n`);
    process.stdout.write(`${row('cold (berth CLI)', berthCli.cold, ref?.cold)}\n${row('fully cached (berth CLI)', berthCli.cached, ref?.cached)}\n`);
  } finally {
    await docker?.stop();
    await h.stop();
    await rm(context, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
