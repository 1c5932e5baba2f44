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
import { withBlkioDevices, type BlkioDeviceFields } from './blkio-devices.js';
import { specMountsFor } from '../volumes/container-mounts.js';
import { parseSecurityOpts } from '../security/security-opts.js';
import { seccompFor } from '../security/seccomp-profile.js';
import { remappedUsernsPath, usesRemap, withUserNamespace } from '../security/userns-container.js';
import { planNamespaces } from './namespace-modes.js';
import { containerDevices, type DeviceMapping } from './devices.js';

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
  const remap = ctx.settings.userns;
  const remapped = usesRemap(remap, c.hostConfig.UsernsMode);
  // Mounts a shareable container's /dev/shm; start releases it when anything later fails.
  const ns = await planNamespaces(ctx.db, c, {
    cgroupV2,
    hostNetwork: c.runtime.effectiveNetworkMode === 'host',
    ...(remapped ? { shmOwner: remap.root } : {}),
  });
  const hc = c.hostConfig as typeof c.hostConfig & {
    Annotations?: Record<string, string> | null;
    Sysctls?: Record<string, string> | null;
    MaskedPaths?: string[] | null;
    ReadonlyPaths?: string[] | null;
    CgroupParent?: string;
  };
  const security = parseSecurityOpts(c.hostConfig.SecurityOpt);
  const privileged = c.hostConfig.Privileged === true;
  const capabilities = effectiveCapabilities({ privileged, capAdd: c.hostConfig.CapAdd ?? [], capDrop: c.hostConfig.CapDrop ?? [] });
  const dev = await containerDevices({
    privileged,
    mappings: (c.hostConfig['Devices'] as DeviceMapping[] | null | undefined) ?? [],
    cgroupRules: (c.hostConfig['DeviceCgroupRules'] as string[] | null | undefined) ?? [],
  });
  const spec = buildOciSpec({
    id: c.id,
    rootfsPath: c.runtime.rootfs,
    args,
    env: [...(c.runtime.network?.linkEnv ?? []), ...c.config.Env],
    workingDir: c.config.WorkingDir === '' ? '/' : c.config.WorkingDir,
    user,
    tty: c.config.Tty,
    hostname: c.config.Hostname,
    domainname: c.config.Domainname,
    ...(hc.Annotations ? { annotations: hc.Annotations } : {}),
    ...(hc.Sysctls ? { sysctls: hc.Sysctls } : {}),
    ...(Array.isArray(hc.MaskedPaths) ? { maskedPaths: hc.MaskedPaths } : {}),
    ...(Array.isArray(hc.ReadonlyPaths) ? { readonlyPaths: hc.ReadonlyPaths } : {}),
    init: c.hostConfig.Init === true,
    initPath: ctx.settings.initPath,
    networkNamespace: network,
    pidNamespace: ns.pid,
    ipcNamespace: ns.ipc,
    utsNamespace: ns.uts,
    cgroupNamespace: ns.cgroupNamespace,
    noShm: ns.noShm,
    cgroupV2,
    // HostConfig.CgroupParent (cgroupfs driver: an absolute path under each controller), else Berth's own parent.
    cgroupParent: typeof hc.CgroupParent === 'string' && hc.CgroupParent !== '' ? `/${hc.CgroupParent.replace(/^\/+|\/+$/g, '')}` : cgroupParentFor(ctx.settings.execRoot),
    hostLimits,
    etcFiles: { hosts: c.runtime.hostsPath, hostname: c.runtime.hostnamePath, resolvConf: c.runtime.resolvConfPath },
    readonlyRootfs: c.hostConfig.ReadonlyRootfs,
    privileged: c.hostConfig.Privileged,
    hostDevices: dev.host,
    devices: dev.devices,
    deviceRules: dev.rules,
    capAdd: c.hostConfig.CapAdd ?? [],
    capDrop: c.hostConfig.CapDrop ?? [],
    shmSize: c.hostConfig.ShmSize,
    oomScoreAdj: c.hostConfig.OomScoreAdj,
    resources: await withBlkioDevices(ociResources(c.hostConfig), c.hostConfig as BlkioDeviceFields),
    ulimits: specUlimits(c.hostConfig),
    mounts: [...(await specMountsFor(ctx, c)), ...(ns.shmMount ? [ns.shmMount] : [])],
    seccomp: seccompFor(security.seccomp, { privileged, capabilities }),
    noNewPrivileges: security.noNewPrivileges,
  });
  if (!remapped) return limitToHostCapabilities(spec);
  // moby: joining another container's PID or IPC namespace means joining its user namespace too.
  const netUserns = remappedUsernsPath(c.runtime.network);
  if (ns.donorUsernsPath !== undefined && netUserns !== undefined && netUserns !== ns.donorUsernsPath) {
    // runc enters the user namespace first; a network namespace owned by another one is then out of reach.
    throw invalidArgument(
      "with userns-remap, a container that joins another container's PID or IPC namespace must share that container's network namespace or have none (--network container:<donor> or --network none)",
    );
  }
  return limitToHostCapabilities(withUserNamespace(spec, remap, ns.donorUsernsPath ?? netUserns));
}
