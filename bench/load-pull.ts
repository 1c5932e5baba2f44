/**
 * Load and pull benchmark (issue 17): Berth against Debian's docker.io
 * dockerd, both data roots on the real disk (/var/tmp, not tmpfs), driven
 * by the same docker CLI, in interleaved runs so the load of a shared
 * machine hits both alike.
 *
 * The image is made of real files (the host's python3.11, perl and
 * node_modules and vim trees as GNU tar layers, ~125 MB uncompressed, ~8,000
 * files): `load` is its docker-archive; `pull` is the same image pushed
 * gzip'd (by berthd) to a local registry (distribution when installed,
 * else `berth registry`) and pulled cold (no layer local). The "tar floor"
 * is GNU tar extracting the same layer tars onto the same disk.
 *
 *   node dist/bench/load-pull.js     BENCH_LP_RUNS (5), BENCH_LP_CASES (load,pull),
 *                                    BENCH_LP_BERTHD_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/var/tmp/prof")
 * Prints medians, min/max and the Berth/Docker ratio of each case.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { runCli, startBerthd, type CliResult } from '../test/helpers/berthd-harness.js';
import { startRegistry as startBerthRegistry } from '../test/integration/registry-helper.js';
import { DOCKERD, startReferenceDockerd } from '../test/helpers/reference-dockerd.js';

const runs = Number(process.env.BENCH_LP_RUNS ?? 5);
const cases = new Set((process.env.BENCH_LP_CASES ?? 'load,pull').split(','));
const DISTRIBUTION = '/usr/bin/docker-registry';
const IMAGE = 'bench/lp:latest';
/** Host trees that become the layers, bottom-most first. */
const TREES = ['usr/lib/python3.11', 'usr/share/perl', 'usr/lib/node_modules', 'usr/share/vim'];

type Samples = Record<string, number[]>;

async function sh(script: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${script}: exit ${code}`))));
  });
}

async function must(p: Promise<CliResult>, what: string): Promise<CliResult> {
  const r = await p;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path) as AsyncIterable<Buffer>) h.update(c);
  return h.digest('hex');
}

/** The docker-archive and its layer tars (kept for the tar floor). */
async function buildArchive(dir: string): Promise<{ archive: string; layers: string[] }> {
  await mkdir(`${dir}/archive`, { recursive: true });
  const names: string[] = [];
  for (const [i, tree] of TREES.entries()) {
    if (!existsSync(`/${tree}`)) throw new Error(`/${tree} is missing: this bench builds its image from host files`);
    await sh(`tar -C / --numeric-owner -cf ${dir}/archive/layer${i}.tar ${tree}`);
    names.push(`layer${i}.tar`);
  }
  const diffIds = await Promise.all(names.map(async (l) => `sha256:${await sha256File(`${dir}/archive/${l}`)}`));
  const epoch = new Date(0).toISOString();
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', created: epoch, config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: diffIds }, history: names.map(() => ({ created: epoch, created_by: 'bench' })) }),
  );
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  await writeFile(`${dir}/archive/${configName}`, config);
  await writeFile(`${dir}/archive/manifest.json`, JSON.stringify([{ Config: configName, RepoTags: [IMAGE], Layers: names }]));
  await sh(`tar -C ${dir}/archive -cf ${dir}/image.tar .`);
  return { archive: `${dir}/image.tar`, layers: names.map((n) => `${dir}/archive/${n}`) };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startDistribution(dir: string): Promise<{ host: string; stop(): Promise<void> }> {
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
  return Math.round(performance.now() - t);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function report(samples: Samples): string {
  const lines = ['case                       median ms    min    max   samples'];
  for (const [k, xs] of Object.entries(samples)) {
    lines.push(`${k.padEnd(26)}${String(Math.round(median(xs))).padStart(10)}${String(Math.min(...xs)).padStart(7)}${String(Math.max(...xs)).padStart(7)}   ${xs.join(' ')}`);
  }
  lines.push('');
  for (const c of ['load', 'pull']) {
    const b = samples[`berthd ${c}`];
    const d = samples[`dockerd ${c}`];
    if (b && d) lines.push(`${c}: berthd/dockerd ${(median(b) / median(d)).toFixed(2)} (goal ${c === 'load' ? '≤ 0.5' : '≤ 0.6'})`);
  }
  const f = samples['tar floor (load)'];
  const b = samples['berthd load'];
  if (f && b) lines.push(`load: berthd/tar floor ${(median(b) / median(f)).toFixed(2)} (goal ≤ 1.5)`);
  return `${lines.join('\n')}\n`;
}

async function noLayersLeft(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const left = names.filter((n) => /^[a-f0-9]{64}$/.test(n));
  if (left.length > 0) throw new Error(`${left.length} layer dirs left in ${dir} after rmi: the next run would not be cold`);
}

async function main(): Promise<void> {
  const work = `/var/tmp/berth-bench-lp-${randomBytes(3).toString('hex')}`;
  await mkdir(work, { recursive: true });
  const cleanup: (() => Promise<void>)[] = [async () => rm(work, { recursive: true, force: true })];
  const samples: Samples = {};
  const add = (k: string, ms: number): void => void (samples[k] ??= []).push(ms);
  try {
    if (!DOCKERD) throw new Error('dockerd is not installed (apt-get install docker.io): no reference numbers');
    const { archive, layers } = await buildArchive(`${work}/image`);
    process.stderr.write(`image: ${((await stat(archive)).size / 1e6).toFixed(1)} MB docker-archive, ${layers.length} layers\n`);
    const nodeArgs = process.env.BENCH_LP_BERTHD_NODE_ARGS?.split(' ').filter((a) => a !== '');
    const berthRoot = `${work}/berth-data`;
    await mkdir(berthRoot, { recursive: true });
    const h = await startBerthd('bench-load-pull', { bridge: 'none', dataRoot: berthRoot, ...(nodeArgs ? { nodeArgs } : {}) });
    cleanup.unshift(() => h.stop());
    const ref = await startReferenceDockerd({}, { dataRoot: `${work}/docker-data` });
    cleanup.unshift(() => ref.stop());
    const engines = [
      { name: 'berthd', env: h.env, layerDir: `${berthRoot}/snapshots` },
      { name: 'dockerd', env: ref.env, layerDir: undefined },
    ];
    const docker = (env: NodeJS.ProcessEnv, args: string[]): Promise<CliResult> => must(runCli('docker', args, { env, timeoutMs: 600_000 }), `docker ${args.join(' ')}`);

    if (cases.has('load')) {
      for (let i = 0; i < runs; i++) {
        // alternate who goes first, so neither always runs on a warmer page cache
        const order = i % 2 === 0 ? engines : [...engines].reverse();
        for (const e of order) {
          add(`${e.name} load`, await timed(() => docker(e.env, ['load', '-i', archive])));
          await docker(e.env, ['rmi', IMAGE]);
          if (e.layerDir) await noLayersLeft(e.layerDir);
        }
        const floor = `${work}/floor`;
        await mkdir(floor);
        add('tar floor (load)', await timed(() => sh(layers.map((l, n) => `mkdir ${floor}/${n} && tar -C ${floor}/${n} --numeric-owner -xpf ${l}`).join(' && '))));
        await rm(floor, { recursive: true, force: true });
        process.stderr.write(`load run ${i + 1}/${runs}\n`);
      }
    }

    if (cases.has('pull')) {
      const registry = existsSync(DISTRIBUTION) ? await startDistribution(`${work}/registry`) : await startBerthRegistry('bench-lp');
      cleanup.unshift(() => registry.stop());
      const remote = `${registry.host}/bench/lp:1`;
      await docker(h.env, ['load', '-i', archive]);
      await docker(h.env, ['tag', IMAGE, remote]);
      await docker(h.env, ['push', remote]);
      await docker(h.env, ['rmi', IMAGE, remote]);
      for (let i = 0; i < runs; i++) {
        const order = i % 2 === 0 ? engines : [...engines].reverse();
        for (const e of order) {
          add(`${e.name} pull`, await timed(() => docker(e.env, ['pull', '-q', remote])));
          await docker(e.env, ['rmi', remote]);
          if (e.layerDir) await noLayersLeft(e.layerDir);
        }
        process.stderr.write(`pull run ${i + 1}/${runs}\n`);
      }
    }
  } finally {
    for (const c of cleanup) await c().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
  process.stdout.write(report(samples));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
