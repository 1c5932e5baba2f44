import { access } from 'node:fs/promises';
import type { EngineContext } from '../engine-context.js';
import type { OciSpec } from '../../runtime/oci-spec-types.js';
import { readHostLimits, type HostLimits } from '../../runtime/host-limits.js';
import { invalidArgument } from '../../errors/engine-error.js';
import type { ContainerRecord } from './container-model.js';
import { buildOciSpec, effectiveCapabilities, type NamespaceMode } from './oci-spec.js';
import { resolveUser } from './user.js';
import { limitToHostCapabilities } from './host-capabilities.js';
import { cgroupParentFor } from './cgroup-parent.js';
import { ociResources, specUlimits } from './resources.js';
import { specMountsFor } from '../volumes/container-mounts.js';
import { parseSecurityOpts } from '../security/security-opts.js';
import { seccompFor } from '../security/seccomp-profile.js';

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
  const netnsPath = c.runtime.network?.netnsPath;
  const network: NamespaceMode =
    c.runtime.effectiveNetworkMode === 'host' ? { type: 'host' } : netnsPath !== undefined ? { type: 'path', path: netnsPath } : { type: 'new' };
  const security = parseSecurityOpts(c.hostConfig.SecurityOpt);
  const privileged = c.hostConfig.Privileged === true;
  const capabilities = effectiveCapabilities({ privileged, capAdd: c.hostConfig.CapAdd ?? [], capDrop: c.hostConfig.CapDrop ?? [] });
  const spec = buildOciSpec({
    id: c.id,
    rootfsPath: c.runtime.rootfs,
    args,
    env: [...(c.runtime.network?.linkEnv ?? []), ...c.config.Env],
    workingDir: c.config.WorkingDir === '' ? '/' : c.config.WorkingDir,
    user,
    tty: c.config.Tty,
    hostname: c.config.Hostname,
    init: c.hostConfig.Init === true,
    initPath: ctx.settings.initPath,
    networkNamespace: network,
    utsNamespace: c.runtime.effectiveNetworkMode === 'host' ? { type: 'host' } : { type: 'new' },
    cgroupV2,
    cgroupParent: cgroupParentFor(ctx.settings.execRoot),
    hostLimits,
    etcFiles: { hosts: c.runtime.hostsPath, hostname: c.runtime.hostnamePath, resolvConf: c.runtime.resolvConfPath },
    readonlyRootfs: c.hostConfig.ReadonlyRootfs,
    privileged: c.hostConfig.Privileged,
    capAdd: c.hostConfig.CapAdd ?? [],
    capDrop: c.hostConfig.CapDrop ?? [],
    shmSize: c.hostConfig.ShmSize,
    oomScoreAdj: c.hostConfig.OomScoreAdj,
    resources: ociResources(c.hostConfig),
    ulimits: specUlimits(c.hostConfig),
    mounts: await specMountsFor(ctx, c),
    seccomp: seccompFor(security.seccomp, { privileged, capabilities }),
    noNewPrivileges: security.noNewPrivileges,
  });
  return limitToHostCapabilities(spec);
}
