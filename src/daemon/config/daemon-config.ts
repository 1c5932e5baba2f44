/** The daemon's settled configuration: flags over daemon.json over defaults. */
export interface RuntimeEntry {
  readonly path: string;
  readonly runtimeArgs?: readonly string[];
}

export interface DaemonConfig {
  readonly dataRoot: string; // --data-root, "data-root"; default /var/lib/berth
  readonly execRoot: string; // --exec-root, "exec-root"; default /run/berth
  readonly hosts: readonly string[]; // -H/--host (repeatable), "hosts"; default ["unix:///run/berth/berth.sock"]
  readonly pidfile: string; // -p/--pidfile, "pidfile"; default /run/berth/berthd.pid (i.e. <execRoot>/berthd.pid? no: Docker uses /var/run/docker.pid)
  readonly debug: boolean; // -D/--debug, "debug"
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'fatal'; // --log-level, "log-level"
  readonly bridge: string; // --bridge/-b, "bridge"; default berth0 ("none" disables)
  readonly bip: string | undefined; // --bip, "bip"
  readonly logDriver: string; // "log-driver"; default json-file
  readonly logOpts: Readonly<Record<string, string>>; // "log-opts"
  readonly defaultRuntime: string; // "default-runtime"; default runc
  readonly runtimes: Readonly<Record<string, RuntimeEntry>>; // "runtimes" merged over built-ins {runc, crun}
  readonly liveRestore: boolean; // "live-restore"
  readonly configFile: string; // --config-file; default /etc/berth/daemon.json
  readonly group: string; // --group/-G, "group"; default berth
  readonly initPath: string; // "init-path"; default /usr/bin/tini (docker-init)
}
