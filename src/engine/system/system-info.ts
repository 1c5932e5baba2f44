import { readFile, statfs } from 'node:fs/promises';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { EngineContext } from '../engine-context.js';
import { allContainers } from '../containers/container-repo.js';

const run = promisify(execFile);

export interface HostFacts {
  readonly kernelVersion: string;
  readonly operatingSystem: string;
  readonly osVersion: string;
  readonly architecture: string;
  readonly ncpu: number;
  readonly memTotal: number;
  readonly name: string;
  readonly cgroupVersion: '1' | '2';
  readonly backingFilesystem: string;
  readonly runtimeVersions: Record<string, string>;
  readonly initVersion: string;
}

/** Facts about this host that do not change while the daemon runs; gathered once. */
export async function gatherHostFacts(ctx: EngineContext): Promise<HostFacts> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const field = (k: string): string => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(osRelease)?.[1] ?? '';
  const cgroupVersion = await readFile('/sys/fs/cgroup/cgroup.controllers', 'utf8').then(
    () => '2' as const,
    () => '1' as const,
  );
  const fsType = await statfs(ctx.settings.dataRoot).then(
    (s) => backingName(s.type),
    () => 'unknown',
  );
  const runtimeVersions: Record<string, string> = {};
  for (const [name, rt] of ctx.runtimes) {
    void rt;
    runtimeVersions[name] = await versionLine(name === 'runc' ? 'runc' : name, ['--version']);
  }
  return {
    kernelVersion: release(),
    operatingSystem: field('PRETTY_NAME') || 'Linux',
    osVersion: field('VERSION_ID'),
    architecture: arch() === 'x64' ? 'x86_64' : arch() === 'arm64' ? 'aarch64' : arch(),
    ncpu: cpus().length,
    memTotal: totalmem(),
    name: hostname(),
    cgroupVersion,
    backingFilesystem: fsType,
    runtimeVersions,
    initVersion: await versionLine(ctx.settings.initPath, ['--version']),
  };
}

async function versionLine(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 5000 });
    return stdout.split('\n')[0]?.trim() ?? '';
  } catch {
    return '';
  }
}

function backingName(type: number): string {
  const names: Record<number, string> = { 0xef53: 'extfs', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };
  return names[type] ?? 'unknown';
}

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

export function containerCounts(ctx: EngineContext): ContainerCounts {
  const all = allContainers(ctx.db);
  const running = all.filter((c) => c.state.Running && !c.state.Paused).length;
  const paused = all.filter((c) => c.state.Paused).length;
  return { total: all.length, running, paused, stopped: all.length - running - paused };
}

export function imageCount(ctx: EngineContext): number {
  const row = ctx.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number };
  return row.n;
}

/** The host's bridge-nf-call-ip(6)tables settings (false when br_netfilter is not loaded); read per call, they change at run time. */
export async function bridgeNetfilter(): Promise<{ iptables: boolean; ip6tables: boolean }> {
  const on = (name: string): Promise<boolean> =>
    readFile(`/proc/sys/net/bridge/bridge-nf-call-${name}`, 'utf8').then(
      (t) => t.trim() === '1',
      () => false,
    );
  return { iptables: await on('iptables'), ip6tables: await on('ip6tables') };
}
