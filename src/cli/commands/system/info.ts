import type { SystemInfo } from '../../../client/wire-types.js';
import type { CommandSpec } from '../../argv/command-spec.js';
import { formatFlag } from '../../argv/common-flags.js';
import type { CliContext } from '../../cli-context.js';
import { CliExit, describeError } from '../../cli-errors.js';
import { goJson } from '../../format/go-template.js';
import { bytesSize } from '../../format/human-size.js';
import { parseTemplate } from '../../format/row-format.js';
import { clientVersion } from './client-info.js';

function clientText(debug: boolean): string {
  const c = clientVersion('');
  return `Client:\n Version:    ${c['Version']}\n Context:    ${c['Context']}\n Debug Mode: ${debug}\n`;
}

/** docker info's server section (cli/command/system/info.go layout). */
export function serverText(info: SystemInfo): string {
  const l: string[] = [];
  const kv = (k: string, v: unknown): void => void l.push(` ${k}: ${String(v)}`);
  kv('Containers', info.Containers);
  l.push(`  Running: ${info.ContainersRunning}`, `  Paused: ${info.ContainersPaused}`, `  Stopped: ${info.ContainersStopped}`);
  kv('Images', info.Images);
  kv('Server Version', info.ServerVersion);
  kv('Storage Driver', info.Driver);
  for (const [k, v] of info.DriverStatus ?? []) l.push(`  ${k}: ${v}`);
  kv('Logging Driver', info.LoggingDriver);
  kv('Cgroup Driver', info.CgroupDriver);
  if (info.CgroupVersion) kv('Cgroup Version', info.CgroupVersion);
  const plugins = info.Plugins ?? {};
  l.push(' Plugins:');
  l.push(`  Volume: ${(plugins.Volume ?? []).join(' ')}`);
  l.push(`  Network: ${(plugins.Network ?? []).join(' ')}`);
  if ((plugins.Authorization ?? []).length > 0) l.push(`  Authorization: ${(plugins.Authorization ?? []).join(' ')}`);
  l.push(`  Log: ${(plugins.Log ?? []).join(' ')}`);
  kv('Swarm', 'inactive');
  kv('Runtimes', Object.keys(info.Runtimes ?? {}).sort().join(' '));
  kv('Default Runtime', info.DefaultRuntime);
  kv('Init Binary', info.InitBinary);
  kv('containerd version', info.ContainerdCommit?.ID ?? '');
  kv('runc version', info.RuncCommit?.ID ?? '');
  kv('init version', info.InitCommit?.ID ?? '');
  const secopts = info.SecurityOptions ?? [];
  if (secopts.length > 0) {
    l.push(' Security Options:');
    for (const o of secopts) {
      const fields = o.split(',').map((f) => f.split('='));
      const name = fields.find(([k]) => k === 'name')?.[1] ?? o;
      l.push(`  ${name}`);
      for (const [k = '', v] of fields) if (k !== 'name' && v !== undefined) l.push(`   ${k.charAt(0).toUpperCase()}${k.slice(1)}: ${v}`);
    }
  }
  kv('Kernel Version', info.KernelVersion);
  kv('Operating System', info.OperatingSystem);
  kv('OSType', info.OSType);
  kv('Architecture', info.Architecture);
  kv('CPUs', info.NCPU);
  kv('Total Memory', bytesSize(info.MemTotal));
  kv('Name', info.Name);
  kv('ID', info.ID);
  kv('Docker Root Dir', info.DockerRootDir);
  kv('Debug Mode', info.Debug);
  if (info.Debug) {
    l.push(`  File Descriptors: ${String(info.NFd)}`, `  Goroutines: ${String(info.NGoroutines)}`);
    l.push(`  System Time: ${String(info.SystemTime)}`, `  EventsListeners: ${String(info.NEventsListener)}`);
  }
  if (info.HttpProxy) kv('HTTP Proxy', info.HttpProxy);
  if (info.HttpsProxy) kv('HTTPS Proxy', info.HttpsProxy);
  if (info.NoProxy) kv('No Proxy', info.NoProxy);
  if ((info.Labels ?? []).length > 0) {
    l.push(' Labels:');
    for (const label of info.Labels ?? []) l.push(`  ${label}`);
  }
  kv('Experimental', info.ExperimentalBuild);
  const insecure = info.RegistryConfig?.InsecureRegistryCIDRs ?? [];
  const insecureNames = Object.values(info.RegistryConfig?.IndexConfigs ?? {}).filter((c) => c.Secure === false).map((c) => c.Name);
  if (insecure.length + insecureNames.length > 0) {
    l.push(' Insecure Registries:');
    for (const r of [...insecureNames, ...insecure]) l.push(`  ${r}`);
  }
  const mirrors = info.RegistryConfig?.Mirrors ?? [];
  if (mirrors.length > 0) {
    l.push(' Registry Mirrors:');
    for (const m of mirrors) l.push(`  ${m}`);
  }
  kv('Live Restore Enabled', info.LiveRestoreEnabled);
  return `${l.join('\n')}\n\n`;
}

export async function showInfo(ctx: CliContext, format: string | undefined, debug: boolean): Promise<number> {
  let info: SystemInfo | undefined;
  let error: unknown;
  try {
    info = await ctx.client().system.info();
  } catch (err) {
    error = err;
  }
  if (format) {
    if (error) throw error;
    const data = { ...info, ClientInfo: { Debug: debug, ...clientVersion(await ctx.client().transport.apiVersion()), Plugins: [], Warnings: null } };
    ctx.out(`${format === 'json' ? goJson(data) : parseTemplate(format).execute(data)}\n`);
    return 0;
  }
  ctx.out(`${clientText(debug)}\nServer:\n`);
  if (error || !info) throw new CliExit(1, describeError(error));
  ctx.out(serverText(info));
  const warnings = info.Warnings ?? [];
  if (warnings.length > 0) ctx.err(`\n${warnings.join('\n')}\n`);
  return 0;
}

export const infoCommand: CommandSpec = {
  path: ['system', 'info'],
  aliases: [['info']],
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  args: { kind: 'none' },
  flags: [formatFlag('f')],
  run(ctx, flags) {
    return showInfo(ctx, flags.string('format'), false);
  },
};
