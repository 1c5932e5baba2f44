/** The daemon's settled configuration: flags over daemon.json over defaults. */
export interface RuntimeEntry {
  readonly path: string;
  readonly runtimeArgs?: readonly string[];
}

export type DaemonLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One entry of "default-address-pools": carve `size`-bit subnets out of `base`. */
export interface AddressPool {
  readonly base: string;
  readonly size: number;
}

/** One entry of "default-ulimits", as Docker writes it ({"Name","Soft","Hard"}). */
export interface UlimitEntry {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

/** TLS for tcp:// hosts. Berth only listens on TCP with mutual TLS (verify + CA + cert + key). */
export interface DaemonTls {
  readonly enabled: boolean; // "tls" / --tls; implied by tlsverify
  readonly verify: boolean; // "tlsverify" / --tlsverify
  readonly caCert: string | undefined; // "tlscacert"
  readonly cert: string | undefined; // "tlscert"
  readonly key: string | undefined; // "tlskey"
}

export interface DaemonConfig {
  readonly dataRoot: string; // --data-root, "data-root"; default /var/lib/berth
  readonly execRoot: string; // --exec-root, "exec-root"; default /run/berth
  readonly hosts: readonly string[]; // -H/--host (repeatable), "hosts"; default ["unix://<execRoot>/berth.sock"], i.e. unix:///run/berth/berth.sock
  readonly pidfile: string; // -p/--pidfile, "pidfile"; default <execRoot>/berthd.pid when an exec root was given, else /run/berthd.pid
  readonly debug: boolean; // -D/--debug, "debug"
  readonly logLevel: DaemonLogLevel; // --log-level, "log-level"; "debug" whenever debug is on
  readonly bridge: string; // --bridge/-b, "bridge"; default berth0 ("none" disables)
  readonly bip: string | undefined; // --bip, "bip"
  readonly logDriver: string; // "log-driver"; default json-file
  readonly logOpts: Readonly<Record<string, string>>; // "log-opts"
  readonly defaultRuntime: string; // "default-runtime"; default runc
  readonly runtimes: Readonly<Record<string, RuntimeEntry>>; // "runtimes" merged over built-ins {runc, crun}
  readonly liveRestore: boolean; // "live-restore"
  readonly configFile: string; // --config-file; default /etc/berth/daemon.json
  readonly group: string; // --group/-G, "group"; default berth
  readonly initPath: string; // "init-path"; default /usr/bin/tini-static (docker-init)
  readonly execPath: 'native' | 'runc'; // "berth-exec" (Berth only; env BERTH_EXEC overrides): native/build/berth-exec, or conmon --exec + runc

  // Accepted now, used by later work. Defaults are dockerd's.
  readonly registryMirrors: readonly string[]; // "registry-mirrors"
  readonly insecureRegistries: readonly string[]; // "insecure-registries"
  readonly defaultAddressPools: readonly AddressPool[]; // "default-address-pools"; [] = the network layer's own choice
  readonly fixedCidr: string | undefined; // "fixed-cidr"
  readonly fixedCidrV6: string | undefined; // "fixed-cidr-v6"
  readonly ipv6: boolean; // "ipv6"
  readonly mtu: number; // "mtu"; default 1500
  readonly iptables: boolean; // "iptables"; default true
  readonly ipForward: boolean; // "ip-forward"; default true
  readonly userlandProxy: boolean; // "userland-proxy"; default true
  readonly icc: boolean; // "icc"; default true
  readonly usernsRemap: string | undefined; // "userns-remap"
  readonly storageDriver: string | undefined; // "storage-driver"; undefined = overlay with copying fallback
  readonly features: Readonly<Record<string, boolean>>; // "features"
  readonly execOpts: readonly string[]; // "exec-opts" (e.g. native.cgroupdriver=systemd)
  readonly dns: readonly string[]; // "dns"
  readonly dnsSearch: readonly string[]; // "dns-search"
  readonly dnsOpts: readonly string[]; // "dns-opts"
  readonly defaultUlimits: Readonly<Record<string, UlimitEntry>>; // "default-ulimits"
  readonly maxConcurrentDownloads: number; // "max-concurrent-downloads"; default 3
  readonly maxConcurrentUploads: number; // "max-concurrent-uploads"; default 5
  readonly experimental: boolean; // "experimental"
  readonly tls: DaemonTls; // "tls", "tlsverify", "tlscacert", "tlscert", "tlskey"
  readonly seccompProfile: string | undefined; // "seccomp-profile"; undefined = built-in default, "unconfined" disables
  readonly noNewPrivileges: boolean; // "no-new-privileges"
  readonly selinuxEnabled: boolean; // "selinux-enabled"
  readonly shutdownTimeout: number; // "shutdown-timeout" in seconds; default 15
  readonly labels: readonly string[]; // "labels" (key=value)
  readonly defaultShmSize: number; // "default-shm-size" in bytes; default 64 MiB
  readonly cgroupParent: string | undefined; // "cgroup-parent"
  readonly containerd: string | undefined; // "containerd"; accepted for compatibility, unused
  readonly oomScoreAdjust: number; // "oom-score-adjust"; default 0
  readonly defaultIpcMode: 'private' | 'shareable'; // "default-ipc-mode"; default private
  readonly defaultCgroupnsMode: 'host' | 'private' | undefined; // "default-cgroupns-mode"; undefined = Docker's (private on cgroup v2, host on v1)
}

/**
 * Settings as daemon.json names them, each already validated for shape.
 * Both the flag parser and the daemon.json loader produce this; settling
 * merges the two (they must not overlap) over the defaults.
 */
export interface DaemonSettings {
  'data-root'?: string;
  'exec-root'?: string;
  hosts?: string[];
  pidfile?: string;
  debug?: boolean;
  'log-level'?: DaemonLogLevel;
  bridge?: string;
  bip?: string;
  group?: string;
  'log-driver'?: string;
  'log-opts'?: Record<string, string>;
  'default-runtime'?: string;
  runtimes?: Record<string, RuntimeEntry>;
  'live-restore'?: boolean;
  'init-path'?: string;
  'berth-exec'?: 'native' | 'runc';
  'registry-mirrors'?: string[];
  'insecure-registries'?: string[];
  'default-address-pools'?: AddressPool[];
  'fixed-cidr'?: string;
  mtu?: number;
  iptables?: boolean;
  'ip-forward'?: boolean;
  'userland-proxy'?: boolean;
  icc?: boolean;
  'userns-remap'?: string;
  'storage-driver'?: string;
  features?: Record<string, boolean>;
  'exec-opts'?: string[];
  dns?: string[];
  'dns-search'?: string[];
  'dns-opts'?: string[];
  'default-ulimits'?: Record<string, UlimitEntry>;
  'max-concurrent-downloads'?: number;
  'max-concurrent-uploads'?: number;
  experimental?: boolean;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  ipv6?: boolean;
  'fixed-cidr-v6'?: string;
  'seccomp-profile'?: string;
  'no-new-privileges'?: boolean;
  'selinux-enabled'?: boolean;
  'shutdown-timeout'?: number;
  labels?: string[];
  'default-shm-size'?: string;
  'cgroup-parent'?: string;
  containerd?: string;
  'oom-score-adjust'?: number;
  'default-ipc-mode'?: string;
  'default-cgroupns-mode'?: string;
}

export type DaemonSettingKey = keyof DaemonSettings;

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';
