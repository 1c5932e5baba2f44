import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { conflict, internal, invalidArgument } from '../../errors/engine-error.js';
import { requireContainer } from './container-repo.js';
import type { ContainerSupervisor } from './supervisor.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** The host pids in the container's cgroup (the pids controller on v1, the unified tree on v2). */
async function containerPids(bundleDir: string): Promise<Set<number>> {
  const spec = JSON.parse(await readFile(`${bundleDir}/config.json`, 'utf8')) as { linux?: { cgroupsPath?: string } };
  const path = spec.linux?.cgroupsPath ?? '';
  for (const file of [`/sys/fs/cgroup/pids${path}/cgroup.procs`, `/sys/fs/cgroup${path}/cgroup.procs`, `/sys/fs/cgroup/memory${path}/cgroup.procs`]) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return new Set(text.split('\n').filter((l) => l !== '').map(Number));
  }
  return new Set();
}

/**
 * GET /containers/{id}/top: runs `ps` on the host with the caller's
 * arguments (default -ef) and keeps the rows whose PID is in the
 * container's cgroup (moby's ContainerTop on Linux).
 */
export async function topContainer(sup: ContainerSupervisor, ref: string, psArgs: string): Promise<TopResult> {
  const c = requireContainer(sup.ctx.db, ref);
  if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
  if (c.state.Restarting) throw conflict(`container ${c.id} is restarting, wait until the container is running`);
  const pids = await containerPids(c.runtime.bundleDir);
  const args = (psArgs.trim() === '' ? '-ef' : psArgs).split(/\s+/);
  const out = await new Promise<string>((resolve, reject) => {
    execFile('ps', args, { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(invalidArgument(`ps: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  const titles = header.trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw internal('Couldn\'t find PID field in ps output');
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const pid = Number(fields[pidIndex]);
    if (!pids.has(pid)) continue;
    // The last column (the command) keeps its spaces.
    const head = fields.slice(0, titles.length - 1);
    const rest = fields.slice(titles.length - 1).join(' ');
    processes.push([...head, rest]);
  }
  return { Titles: titles, Processes: processes };
}
