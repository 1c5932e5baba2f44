import { access } from 'node:fs/promises';
import type { EngineContext } from '../engine-context.js';
import type { OciSpec } from '../../runtime/oci-spec-types.js';
import { readHostLimits, type HostLimits } from '../../runtime/host-limits.js';
import { invalidArgument } from '../../errors/engine-error.js';
import type { ContainerRecord } from './container-model.js';
import { buildOciSpec, type NamespaceMode } from './oci-spec.js';
import { resolveUser } from './user.js';

let hostLimits: HostLimits | undefined;
let cgroupV2: boolean | undefined;

/** Turns a container record into its OCI spec: the policy part of start. */
export async function ociSpecFor(ctx: EngineContext, c: ContainerRecord): Promise<OciSpec> {
  hostLimits ??= await readHostLimits();
  cgroupV2 ??= await access('/sys/fs/cgroup/cgroup.controllers').then(
    () => true,
    () => false,
  );
  const args = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  if (args.length === 0) throw invalidArgument('no command specified');
  const user = await resolveUser(c.runtime.rootfs, c.config.User, { groupAdd: c.hostConfig.GroupAdd ?? [] });
  const network: NamespaceMode = c.runtime.effectiveNetworkMode === 'host' ? { type: 'host' } : { type: 'new' };
  return buildOciSpec({
    id: c.id,
    rootfsPath: c.runtime.rootfs,
    args,
    env: c.config.Env,
    workingDir: c.config.WorkingDir === '' ? '/' : c.config.WorkingDir,
    user,
    tty: c.config.Tty,
    hostname: c.config.Hostname,
    init: c.hostConfig.Init === true,
    initPath: ctx.settings.initPath,
    networkNamespace: network,
    utsNamespace: c.runtime.effectiveNetworkMode === 'host' ? { type: 'host' } : { type: 'new' },
    cgroupV2,
    cgroupParent: `/berth-${shortHash(ctx.settings.execRoot)}`,
    hostLimits,
    etcFiles: { hosts: c.runtime.hostsPath, hostname: c.runtime.hostnamePath, resolvConf: c.runtime.resolvConfPath },
    readonlyRootfs: c.hostConfig.ReadonlyRootfs,
    privileged: c.hostConfig.Privileged,
    capAdd: c.hostConfig.CapAdd ?? [],
    capDrop: c.hostConfig.CapDrop ?? [],
    shmSize: c.hostConfig.ShmSize,
    oomScoreAdj: c.hostConfig.OomScoreAdj,
  });
}

/** A short stable tag per daemon so two daemons' cgroups never collide. */
function shortHash(s: string): string {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16);
}
