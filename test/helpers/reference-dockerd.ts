import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { mountsUnder, ping } from './berthd-harness.js';

/**
 * Debian's docker.io dockerd on its own tmpfs root and socket (no bridge, no
 * iptables), as bench/REFERENCE-DOCKER.md describes; for interop tests and
 * the registry benchmark. `env` points the docker CLI at it.
 */
export interface ReferenceDockerd {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  /** The dockerd process (for RSS measurements). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export const DOCKERD = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));

function run(cmd: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('error', () => resolve(127));
    c.on('exit', (code) => resolve(code ?? 1));
  });
}

const exited = (c: ChildProcess, ms: number): Promise<boolean> =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), ms);
        c.once('exit', () => {
          clearTimeout(t);
          resolve(true);
        });
      });

/** `opts.dataRoot`: a data root outside the tmpfs root (benchmarks on the real disk), emptied and removed by stop(). */
export async function startReferenceDockerd(daemonJson: Record<string, unknown> = {}, opts: { dataRoot?: string } = {}): Promise<ReferenceDockerd> {
  if (!DOCKERD) throw new Error('dockerd is not installed (apt-get install docker.io)');
  const root = `/tmp/berth-refdocker-${randomBytes(3).toString('hex')}`;
  await mkdir(root, { recursive: true });
  const mounted = (await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', root])) === 0;
  const socket = `${root}/docker.sock`;
  const dataRoot = opts.dataRoot ?? `${root}/data`;
  await mkdir(`${root}/docker-config`, { recursive: true });
  await writeFile(`${root}/daemon.json`, JSON.stringify(daemonJson));
  const fd = openSync(`${root}/dockerd.log`, 'a');
  // prettier-ignore
  const child = spawn(DOCKERD, [
    '--data-root', dataRoot, '--exec-root', `${root}/exec`, '-H', `unix://${socket}`,
    '--pidfile', `${root}/docker.pid`, '--config-file', `${root}/daemon.json`,
    '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
  ], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await exited(child, 30_000))) child.kill('SIGKILL');
      await exited(child, 5_000);
    }
    for (const m of (await mountsUnder(root)).filter((p) => p !== root)) {
      if ((await run('umount', [m])) !== 0) await run('umount', ['-l', m]);
    }
    if (opts.dataRoot !== undefined) {
      for (const m of await mountsUnder(opts.dataRoot)) if ((await run('umount', [m])) !== 0) await run('umount', ['-l', m]);
      await rm(opts.dataRoot, { recursive: true, force: true });
    }
    if (mounted && (await run('umount', [root])) !== 0) await run('umount', ['-l', root]);
    await rmdir(root).catch(() => rm(root, { recursive: true, force: true }));
  };
  const deadline = Date.now() + 60_000;
  while (!(existsSync(socket) && (await ping(socket)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = await readFile(`${root}/dockerd.log`, 'utf8').catch(() => '');
      await stop();
      throw new Error(`dockerd did not come up:\n${log.split('\n').slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: `${root}/docker-config` };
  delete env.DOCKER_CONTEXT;
  return { root, env, pid: child.pid, stop };
}
