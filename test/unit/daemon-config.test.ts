import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDaemonArgs } from '../../src/daemon/config/parse-daemon-args.js';
import { parseDaemonJson, resolveDaemonConfig, type DaemonConfigIo } from '../../src/daemon/config/load-daemon-json.js';
import type { DaemonConfig } from '../../src/daemon/config/daemon-config.js';

function io(files: Record<string, string> = {}, executables: readonly string[] = ['/usr/sbin/runc']): DaemonConfigIo {
  return {
    env: { PATH: '/usr/local/bin:/usr/sbin:/usr/bin' },
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
      return text;
    },
    isExecutable: (path) => executables.includes(path),
  };
}

function configOf(argv: readonly string[], files: Record<string, string> = {}, executables?: readonly string[]): DaemonConfig {
  const args = parseDaemonArgs(argv);
  assert.equal(args.kind, 'run');
  if (args.kind !== 'run') throw new Error('unreachable');
  return resolveDaemonConfig(args, io(files, executables));
}

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected an error');
};

void test('defaults without flags or daemon.json', () => {
  const c = configOf([]);
  assert.equal(c.dataRoot, '/var/lib/berth');
  assert.equal(c.execRoot, '/run/berth');
  assert.deepEqual(c.hosts, ['unix:///run/berth/berth.sock']);
  assert.equal(c.pidfile, '/run/berthd.pid');
  assert.equal(c.bridge, 'berth0');
  assert.equal(c.logDriver, 'json-file');
  assert.equal(c.defaultRuntime, 'runc');
  assert.equal(c.initPath, '/usr/bin/tini-static');
  assert.equal(c.group, 'berth');
  assert.equal(c.configFile, '/etc/berth/daemon.json');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.debug, false);
  assert.equal(c.liveRestore, false);
  assert.equal(c.bip, undefined);
  assert.deepEqual(c.runtimes, { runc: { path: '/usr/sbin/runc' }, crun: { path: '/usr/bin/crun' } });
  assert.equal(c.defaultShmSize, 64 * 1024 * 1024);
  assert.equal(c.iptables, true);
});

void test('runtimes are found on PATH', () => {
  const c = configOf([], {}, ['/usr/local/bin/runc', '/usr/sbin/runc', '/usr/bin/crun']);
  assert.equal(c.runtimes.runc?.path, '/usr/local/bin/runc');
  assert.equal(c.runtimes.crun?.path, '/usr/bin/crun');
});

void test('flags in every spelling', () => {
  const c = configOf([
    '--data-root=/d',
    '--exec-root',
    '/e',
    '-H',
    'unix:///s1.sock',
    '-Hunix:///s2.sock',
    '--host=unix:///s3.sock',
    '-Dp',
    '/p.pid',
    '-l=warn',
    '-b',
    'bt1',
    '--bip',
    '10.99.0.1/24',
    '-G',
    'docker',
    '--add-runtime',
    'kata=/opt/kata',
    '--default-runtime=kata',
    '--live-restore',
    '--init-path',
    '/sbin/init2',
    '--log-driver',
    'local',
    '--log-opt',
    'max-size=10m',
    '--log-opt=max-file=3',
  ]);
  assert.equal(c.dataRoot, '/d');
  assert.equal(c.execRoot, '/e');
  assert.deepEqual(c.hosts, ['unix:///s1.sock', 'unix:///s2.sock', 'unix:///s3.sock']);
  assert.equal(c.pidfile, '/p.pid');
  assert.equal(c.debug, true);
  assert.equal(c.logLevel, 'debug', 'debug wins over --log-level');
  assert.equal(c.bridge, 'bt1');
  assert.equal(c.bip, '10.99.0.1/24');
  assert.equal(c.group, 'docker');
  assert.deepEqual(c.runtimes.kata, { path: '/opt/kata' });
  assert.equal(c.defaultRuntime, 'kata');
  assert.equal(c.liveRestore, true);
  assert.equal(c.initPath, '/sbin/init2');
  assert.equal(c.logDriver, 'local');
  assert.deepEqual(c.logOpts, { 'max-size': '10m', 'max-file': '3' });
});

void test('pidfile and socket follow an explicit exec root so two daemons do not collide', () => {
  const c = configOf(['--exec-root', '/run/berth2']);
  assert.equal(c.pidfile, '/run/berth2/berthd.pid');
  assert.deepEqual(c.hosts, ['unix:///run/berth2/berth.sock']);
  const f = configOf([], { '/etc/berth/daemon.json': '{"exec-root": "/run/b3"}' });
  assert.equal(f.pidfile, '/run/b3/berthd.pid');
});

void test('--log-level alone sets the level', () => {
  assert.equal(configOf(['--log-level', 'error']).logLevel, 'error');
  assert.equal(configOf(['--log-level', 'warning']).logLevel, 'warn');
  assert.match(message(() => parseDaemonArgs(['--log-level', 'loud'])), /invalid logging level: loud/);
});

void test('--debug=false and bool spellings', () => {
  assert.equal(configOf(['--debug=false']).debug, false);
  assert.equal(configOf(['--live-restore=1']).liveRestore, true);
  assert.match(message(() => parseDaemonArgs(['--debug=maybe'])), /invalid argument "maybe"/);
});

void test('--help and --version', () => {
  const h = parseDaemonArgs(['--help']);
  assert.equal(h.kind, 'help');
  if (h.kind === 'help') assert.match(h.usage, /--data-root string/);
  assert.equal(parseDaemonArgs(['-h']).kind, 'help');
  assert.equal(parseDaemonArgs(['--version']).kind, 'version');
  assert.equal(parseDaemonArgs(['-v']).kind, 'version');
});

void test('flag errors read like pflag', () => {
  assert.equal(message(() => parseDaemonArgs(['--nope'])), 'unknown flag: --nope');
  assert.equal(message(() => parseDaemonArgs(['-x'])), "unknown shorthand flag: 'x' in -x");
  assert.equal(message(() => parseDaemonArgs(['--data-root'])), 'flag needs an argument: --data-root');
  assert.equal(message(() => parseDaemonArgs(['-H'])), "flag needs an argument: 'H' in -H");
  assert.match(message(() => parseDaemonArgs(['extra'])), /"berthd" accepts no arguments/);
  assert.match(message(() => parseDaemonArgs(['--bip', '10.0.0.1'])), /invalid CIDR address: 10.0.0.1/);
  assert.equal(message(() => parseDaemonArgs(['--add-runtime', 'kata'])), 'invalid runtime argument: kata');
  assert.equal(message(() => parseDaemonArgs(['--add-runtime', 'a=/x', '--add-runtime', 'a=/y'])), "runtime 'a' was already defined");
});

void test('daemon.json supplies settings with Docker key names', () => {
  const c = configOf([], {
    '/etc/berth/daemon.json': JSON.stringify({
      'data-root': '/srv/berth',
      hosts: ['unix:///x.sock'],
      debug: true,
      bridge: 'none',
      'log-opts': { 'max-size': '1m' },
      runtimes: { crun: { path: '/opt/crun', runtimeArgs: ['--debug'] } },
      'default-runtime': 'crun',
      'live-restore': true,
      'registry-mirrors': ['https://mirror.example'],
      'default-address-pools': [{ base: '10.200.0.0/16', size: 24 }],
      'default-ulimits': { nofile: { Name: 'nofile', Soft: 1024, Hard: 4096 } },
      'default-shm-size': '128M',
      mtu: 1400,
      iptables: false,
    }),
  });
  assert.equal(c.dataRoot, '/srv/berth');
  assert.deepEqual(c.hosts, ['unix:///x.sock']);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.bridge, 'none');
  assert.deepEqual(c.logOpts, { 'max-size': '1m' });
  assert.deepEqual(c.runtimes.crun, { path: '/opt/crun', runtimeArgs: ['--debug'] });
  assert.equal(c.defaultRuntime, 'crun');
  assert.equal(c.liveRestore, true);
  assert.deepEqual(c.registryMirrors, ['https://mirror.example']);
  assert.deepEqual(c.defaultAddressPools, [{ base: '10.200.0.0/16', size: 24 }]);
  assert.deepEqual(c.defaultUlimits, { nofile: { name: 'nofile', soft: 1024, hard: 4096 } });
  assert.equal(c.defaultShmSize, 128 * 1024 * 1024);
  assert.equal(c.mtu, 1400);
  assert.equal(c.iptables, false);
});

void test('every later-issue key is accepted', () => {
  const all = {
    'registry-mirrors': [],
    'insecure-registries': ['r.local:5000'],
    'default-address-pools': [],
    'fixed-cidr': '10.1.0.0/24',
    mtu: 1500,
    iptables: true,
    'ip-forward': true,
    'userland-proxy': false,
    icc: false,
    'userns-remap': 'default',
    'storage-driver': 'overlay2',
    features: { buildkit: false },
    'exec-opts': ['native.cgroupdriver=cgroupfs'],
    dns: ['1.1.1.1'],
    'dns-search': ['example.com'],
    'dns-opts': ['ndots:2'],
    'default-ulimits': {},
    'max-concurrent-downloads': 6,
    'max-concurrent-uploads': 2,
    experimental: true,
    tls: false,
    tlsverify: false,
    tlscacert: '/ca.pem',
    tlscert: '/cert.pem',
    tlskey: '/key.pem',
    ipv6: false,
    'fixed-cidr-v6': 'fd00::/64',
    'seccomp-profile': 'unconfined',
    'no-new-privileges': true,
    'selinux-enabled': false,
    'shutdown-timeout': 30,
    labels: ['a=b'],
    'default-shm-size': 1048576,
    'cgroup-parent': 'berth.slice',
    containerd: '/run/containerd/containerd.sock',
    'oom-score-adjust': -500,
  };
  const c = configOf([], { '/etc/berth/daemon.json': JSON.stringify(all) });
  assert.equal(c.maxConcurrentDownloads, 6);
  assert.equal(c.shutdownTimeout, 30);
  assert.equal(c.defaultShmSize, 1048576);
  assert.equal(c.oomScoreAdjust, -500);
  assert.equal(c.userlandProxy, false);
});

void test('unknown daemon.json keys are rejected with dockerd wording', () => {
  assert.equal(
    message(() => configOf([], { '/etc/berth/daemon.json': '{"nope": 1, "debug": true}' })),
    "unable to configure the Docker daemon with file /etc/berth/daemon.json: the following directives don't match any configuration option: nope",
  );
});

void test('a key given as flag and in the file is a conflict', () => {
  assert.equal(
    message(() => configOf(['--data-root', '/a'], { '/etc/berth/daemon.json': '{"data-root": "/b"}' })),
    'unable to configure the Docker daemon with file /etc/berth/daemon.json: the following directives are specified both as a flag and in the configuration file: data-root: (from flag: /a, from file: /b)',
  );
  assert.match(
    message(() => configOf(['-H', 'unix:///a.sock'], { '/etc/berth/daemon.json': '{"hosts": ["unix:///b.sock"]}' })),
    /hosts: \(from flag: \[unix:\/\/\/a.sock\], from file: \[unix:\/\/\/b.sock\]\)/,
  );
});

void test('invalid JSON and wrong types give clear errors', () => {
  assert.match(
    message(() => configOf([], { '/etc/berth/daemon.json': '{"debug": tru' })),
    /^unable to configure the Docker daemon with file \/etc\/berth\/daemon.json: invalid JSON: /,
  );
  assert.match(message(() => configOf([], { '/etc/berth/daemon.json': '[]' })), /top level must be an object/);
  assert.match(
    message(() => configOf([], { '/etc/berth/daemon.json': '{"debug": "yes"}' })),
    /invalid value for "debug": expected a boolean, got string/,
  );
  assert.match(message(() => configOf([], { '/etc/berth/daemon.json': '{"bip": "nope"}' })), /invalid CIDR address: nope/);
});

void test('an empty daemon.json or one with a BOM is fine', () => {
  assert.deepEqual(parseDaemonJson('  \n', '/x.json'), {});
  assert.deepEqual(parseDaemonJson('\uFEFF{"debug": true}', '/x.json'), { debug: true });
});

void test('absent default daemon.json is fine; absent explicit --config-file is an error', () => {
  assert.equal(configOf([]).dataRoot, '/var/lib/berth');
  assert.match(message(() => configOf(['--config-file', '/nowhere.json'])), /unable to configure the Docker daemon with file \/nowhere.json: ENOENT/);
  const c = configOf(['--config-file', '/t/empty.json'], { '/t/empty.json': '{}' });
  assert.equal(c.configFile, '/t/empty.json');
});

void test('runtime rules match dockerd', () => {
  assert.equal(message(() => configOf(['--add-runtime', 'runc=/x'])), "runtime name 'runc' is reserved");
  assert.equal(message(() => configOf(['--default-runtime', 'kata'])), "specified default runtime 'kata' does not exist");
  assert.match(message(() => configOf([], { '/etc/berth/daemon.json': '{"runtimes": {"k": {}}}' })), /runtime k: a path must be configured/);
});

void test('hosts are normalized and tcp requires mutual TLS', () => {
  assert.deepEqual(configOf(['-H', 'unix://']).hosts, ['unix:///run/berth/berth.sock']);
  assert.match(message(() => configOf(['-H', 'fd://'])), /unsupported proto 'fd'/);
  assert.match(message(() => configOf(['-H', 'tcp://0.0.0.0:2375'])), /without mutual TLS/);
  const c = configOf(['-H', 'tcp://0.0.0.0', '--tlsverify', '--tlscacert', '/ca', '--tlscert', '/c', '--tlskey', '/k']);
  assert.deepEqual(c.hosts, ['tcp://0.0.0.0:2376']);
  assert.deepEqual(c.tls, { enabled: true, verify: true, caCert: '/ca', cert: '/c', key: '/k' });
});

void test('default-ipc-mode and default-cgroupns-mode: values and dockerd error texts', () => {
  const d = configOf([], {});
  assert.equal(d.defaultIpcMode, 'private');
  assert.equal(d.defaultCgroupnsMode, undefined);
  const f = configOf([], { '/etc/berth/daemon.json': '{"default-ipc-mode": "shareable", "default-cgroupns-mode": "private"}' });
  assert.equal(f.defaultIpcMode, 'shareable');
  assert.equal(f.defaultCgroupnsMode, 'private');
  const a = configOf(['--default-ipc-mode', 'shareable', '--default-cgroupns-mode=host'], {});
  assert.equal(a.defaultIpcMode, 'shareable');
  assert.equal(a.defaultCgroupnsMode, 'host');
  const prefix = 'unable to configure the Docker daemon with file /etc/berth/daemon.json: ';
  assert.equal(
    message(() => configOf([], { '/etc/berth/daemon.json': '{"default-ipc-mode": "bogus"}' })),
    `${prefix}configuration validation from file failed: default IPC mode setting (bogus) is invalid; use "shareable" or "private"`,
  );
  assert.equal(
    message(() => configOf([], { '/etc/berth/daemon.json': '{"default-cgroupns-mode": "bogus"}' })),
    `${prefix}configuration validation from file failed: default cgroup namespace mode (bogus) is invalid; use "host" or "private"`,
  );
  assert.equal(
    message(() => configOf(['--default-ipc-mode=bogus'], {})),
    `${prefix}merged configuration validation from file and command line flags failed: default IPC mode setting (bogus) is invalid; use "shareable" or "private"`,
  );
  assert.equal(
    message(() => configOf(['--default-cgroupns-mode', 'bogus'], {})),
    `${prefix}merged configuration validation from file and command line flags failed: default cgroup namespace mode (bogus) is invalid; use "host" or "private"`,
  );
  assert.equal(
    message(() => configOf(['--default-cgroupns-mode=private'], { '/etc/berth/daemon.json': '{"default-cgroupns-mode": "host"}' })),
    `${prefix}the following directives are specified both as a flag and in the configuration file: default-cgroupns-mode: (from flag: private, from file: host)`,
  );
});
