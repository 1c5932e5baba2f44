/**
 * Registry benchmark (issue 5): a ~100 MB image of 5 layers of random data,
 * generated here as a docker-archive and loaded into both engines, is pushed
 * and pulled through berthd and through Debian's docker.io dockerd (when
 * installed) against `berth registry serve`; then berthd alone pushes and
 * pulls it against `berth registry` and against Debian's docker-registry
 * (distribution 2.8, when installed), both on loopback with tmpfs storage.
 * The three run in alternating rounds, so a change in the machine's load
 * hits each of them alike.
 *
 * Cases: push cold (a fresh registry), push warm (the registry has every
 * blob: HEAD only), pull cold (no layer local), pull warm (every layer local,
 * the manifest not: another repository with the same layers).
 *   node dist/bench/registry.js            BENCH_REGISTRY_ITERATIONS (3), BENCH_REGISTRY_LAYER_MB (20),
 *                                          BENCH_REGISTRY_ONLY=berthd (skip dockerd and distribution)
 * Writes bench/registry-results.json and prints medians and ratios.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { repoRoot, runCli, startBerthd, type CliResult } from '../test/helpers/berthd-harness.js';
import { startRegistry as startBerthRegistry } from '../test/integration/registry-helper.js';
import { DOCKERD, startReferenceDockerd } from '../test/helpers/reference-dockerd.js';

const iterations = Number(process.env.BENCH_REGISTRY_ITERATIONS ?? 3);
const layerMb = Number(process.env.BENCH_REGISTRY_LAYER_MB ?? 20);
const LAYERS = 5;
const DISTRIBUTION = '/usr/bin/docker-registry';
const IMAGE = 'bench/regimg:latest';

interface Registry {
  readonly host: string;
  stop(): Promise<void>;
}
interface Client {
  readonly name: string;
  readonly cli: 'docker' | 'berth';
  readonly env: NodeJS.ProcessEnv;
}
type Results = Record<string, { median: number; samples: number[] }>;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

async function must(p: Promise<CliResult>, what: string): Promise<CliResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

async function sh(script: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script}: exit ${code}`))));
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path) as AsyncIterable<Buffer>) h.update(c);
  return h.digest('hex');
}

/** A docker-archive with LAYERS layers, each one file of `layerMb` MiB from /dev/urandom. */
async function buildArchive(dir: string): Promise<string> {
  await mkdir(`${dir}/archive`, { recursive: true });
  const layers: string[] = [];
  for (let i = 0; i < LAYERS; i++) {
    await mkdir(`${dir}/l${i}/data`, { recursive: true });
    await sh(`head -c ${layerMb}M /dev/urandom > ${dir}/l${i}/data/blob${i} && tar -C ${dir}/l${i} -cf ${dir}/archive/layer${i}.tar data && rm -rf ${dir}/l${i}`);
    layers.push(`layer${i}.tar`);
  }
  const diffIds = await Promise.all(layers.map(async (l) => `sha256:${await sha256File(`${dir}/archive/${l}`)}`));
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', created: new Date(0).toISOString(), config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: layers.map(() => ({ created: new Date(0).toISOString(), created_by: 'bench' })) }),
  );
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  await writeFile(`${dir}/archive/${configName}`, config);
  await writeFile(`${dir}/archive/manifest.json`, JSON.stringify([{ Config: configName, RepoTags: [IMAGE], Layers: layers }]));
  await sh(`tar -C ${dir}/archive -cf ${dir}/image.tar . && rm -rf ${dir}/archive`);
  return `${dir}/image.tar`;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startDistribution(): Promise<Registry> {
  const dir = `/dev/shm/berth-bench-distribution-${randomBytes(3).toString('hex')}`;
  await mkdir(dir, { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  await writeFile(`${dir}/config.yml`, ['version: 0.1', 'log: {level: error, accesslog: {disabled: true}}', `storage: {filesystem: {rootdirectory: ${dir}/storage}, delete: {enabled: true}}`, `http: {addr: "${host}"}`, ''].join('\n'));
  const child: ChildProcess = spawn(DISTRIBUTION, ['serve', `${dir}/config.yml`], { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The four cases for one client against registries from `newRegistry`; keys prefixed with `label`. */
async function measure(client: Client, label: string, newRegistry: () => Promise<Registry>, results: Results, rounds = iterations): Promise<void> {
  const run = (args: string[]): Promise<CliResult> => must(runCli(client.cli, args, { env: client.env, timeoutMs: 600_000 }), `${client.name} ${args.join(' ')}`);
  const add = (key: string, ms: number): void => {
    const k = `${label} ${key}`;
    (results[k] ??= { median: NaN, samples: [] }).samples.push(Math.round(ms));
  };
  for (let i = 0; i < rounds; i++) {
    const reg = await newRegistry();
    try {
      const a = `${reg.host}/bench/a:1`;
      const b = `${reg.host}/bench/b:1`;
      await run(['tag', IMAGE, a]);
      add('push cold', await timed(() => run(['push', a])));
      await run(['tag', IMAGE, `${reg.host}/bench/a:2`]);
      add('push warm', await timed(() => run(['push', `${reg.host}/bench/a:2`])));
      // b: the same layers under another repository (mounted, not counted)
      await run(['tag', IMAGE, b]);
      await run(['push', b]);
      await run(['rmi', a, `${reg.host}/bench/a:2`, b, IMAGE]);
      add('pull cold', await timed(() => run(['pull', a])));
      add('pull warm', await timed(() => run(['pull', b])));
      await run(['tag', a, IMAGE]);
      await run(['rmi', a, b]);
    } finally {
      await reg.stop();
    }
  }
}

function report(results: Results): string {
  for (const r of Object.values(results)) r.median = median(r.samples);
  const lines = ['case                                        median ms   samples'];
  for (const [k, r] of Object.entries(results)) lines.push(`${k.padEnd(44)}${String(Math.round(r.median)).padStart(9)}   ${r.samples.join(' ')}`);
  const ratio = (a: string, b: string, what: string): void => {
    for (const c of ['push cold', 'push warm', 'pull cold', 'pull warm']) {
      const x = results[`${a} ${c}`]?.median;
      const y = results[`${b} ${c}`]?.median;
      if (x !== undefined && y !== undefined) lines.push(`${what} ${c}: ${(x / y).toFixed(2)}  (< 1: first is faster)`);
    }
  };
  lines.push('');
  ratio('berthd→berth-registry', 'dockerd→berth-registry', 'berthd/dockerd');
  ratio('berthd→berth-registry', 'berthd→distribution', 'berth-registry/distribution');
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const work = `/dev/shm/berth-bench-registry-${randomBytes(3).toString('hex')}`;
  await mkdir(work, { recursive: true });
  const results: Results = {};
  const cleanup: (() => Promise<void>)[] = [async () => rm(work, { recursive: true, force: true })];
  try {
    process.stderr.write(`building a ${LAYERS}×${layerMb} MiB image\n`);
    const archive = await buildArchive(work);
    const h = await startBerthd('bench-registry', { bridge: 'none' });
    cleanup.unshift(() => h.stop());
    await must(runCli('berth', ['load', '-i', archive], { env: h.env, timeoutMs: 300_000 }), 'berth load');
    // the docker CLI drives both engines, so the client's start-up cost is the same on both sides
    const berthd: Client = { name: 'berthd', cli: 'docker', env: h.env };
    const berthRegistry = (): Promise<Registry> => startBerthRegistry('bench');
    const only = process.env.BENCH_REGISTRY_ONLY === 'berthd';
    if (only) process.stderr.write('BENCH_REGISTRY_ONLY=berthd: berthd → berth registry only\n');
    let dockerd: Client | undefined;
    if (!only && DOCKERD) {
      const ref = await startReferenceDockerd();
      cleanup.unshift(() => ref.stop());
      await must(runCli('docker', ['load', '-i', archive], { env: ref.env, timeoutMs: 300_000 }), 'docker load');
      dockerd = { name: 'dockerd', cli: 'docker', env: ref.env };
    } else if (!only) process.stderr.write('dockerd not installed (apt-get install docker.io): no Docker engine numbers\n');
    const distribution = !only && existsSync(DISTRIBUTION);
    if (!only && !distribution) process.stderr.write('docker-registry not installed: no distribution numbers\n');
    // rounds alternate between the clients, so a change in the machine's load hits all of them alike
    for (let i = 0; i < iterations; i++) {
      process.stderr.write(`round ${i + 1}/${iterations}: berthd → berth registry`);
      await measure(berthd, 'berthd→berth-registry', berthRegistry, results, 1);
      if (dockerd) {
        process.stderr.write(', dockerd → berth registry');
        await measure(dockerd, 'dockerd→berth-registry', berthRegistry, results, 1);
      }
      if (distribution) {
        process.stderr.write(', berthd → distribution');
        await measure(berthd, 'berthd→distribution', startDistribution, results, 1);
      }
      process.stderr.write('\n');
    }
  } finally {
    for (const c of cleanup) await c().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
  const text = report(results);
  process.stdout.write(text);
  if (process.env.BENCH_REGISTRY_ONLY) return;
  await writeFile(`${repoRoot}/bench/registry-results.json`, JSON.stringify({ date: new Date().toISOString(), iterations, layers: LAYERS, layerMiB: layerMb, results }, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
