import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * Container-create fields honoured as dockerd 20.10 honours them, through the
 * docker CLI (and the raw API where the CLI cannot send the field). Every
 * expected text was taken from the reference dockerd on this host.
 */

interface ApiReply {
  readonly status: number;
  readonly body: string;
}

function api(socket: string, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { socketPath: socket, method, path, headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

// The container's own cgroup directory of a v1 controller, as the container sees it (cgroupns host).
const cgFile = (controller: string, file: string): string =>
  `f=$(find /sys/fs/cgroup/${controller}/ -name ${file} 2>/dev/null | xargs -r dirname | awk '{print length, $0}' | sort -n | tail -1 | cut -d' ' -f2-); cat "$f/${file}"`;

/** The block device backing / (e.g. /dev/vda), from /proc/self/mountinfo's major:minor and /sys/dev/block. */
async function rootBlockDevice(): Promise<{ path: string; majmin: string } | undefined> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const root = info.split('\n').find((l) => l.split(' ')[4] === '/');
  const majmin = root?.split(' ')[2];
  if (majmin === undefined) return undefined;
  const uevent = await readFile(`/sys/dev/block/${majmin}/uevent`, 'utf8').catch(() => '');
  const name = /DEVNAME=(\S+)/.exec(uevent)?.[1];
  return name === undefined ? undefined : { path: `/dev/${name}`, majmin };
}

describe('create fields honoured as dockerd', () => {
  let h: BerthdHarness;
  const docker = (args: string[], env: NodeJS.ProcessEnv = h.env) => runCli('docker', args, { env, timeoutMs: 60_000 });
  const inspect = async (name: string, format: string): Promise<string> => (await docker(['inspect', '-f', format, name])).stdout.trim();

  before(async () => {
    h = await startBerthd('create-fields');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('--hostname (Config.Hostname) and --domainname (Config.Domainname) set the UTS names', async () => {
    const r = await docker(['run', '--rm', '--hostname', 'fieldhost', '--domainname', 'example.org', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname; cat /proc/sys/kernel/domainname']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['fieldhost', 'fieldhost', 'example.org']);
  });

  test('--workdir (Config.WorkingDir) is the process cwd, created when missing', async () => {
    const r = await docker(['run', '--rm', '--workdir', '/tmp/wd/deep', 'busybox', 'pwd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '/tmp/wd/deep');
  });

  test('--stop-signal (Config.StopSignal) and --stop-timeout (Config.StopTimeout): docker stop sends the signal, waits, then SIGKILLs', async () => {
    const r = await docker([
      'run', '-d', '--name', 'stopper', '--stop-signal', 'SIGUSR1', '--stop-timeout', '2', 'busybox', 'sh', '-c',
      'trap "echo got USR1" USR1; trap "" TERM; echo ready; while true; do sleep 0.2; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await inspect('stopper', '{{json .Config.StopSignal}} {{json .Config.StopTimeout}}'), '"SIGUSR1" 2');
    for (let i = 0; i < 50 && !(await docker(['logs', 'stopper'])).stdout.includes('ready'); i++) await new Promise((res) => setTimeout(res, 100));
    const t0 = Date.now();
    const s = await docker(['stop', 'stopper']);
    const took = Date.now() - t0;
    assert.equal(s.code, 0, s.stderr);
    assert.ok(took >= 1900 && took < 8000, `docker stop took ${took} ms`);
    assert.match((await docker(['logs', 'stopper'])).stdout, /got USR1/);
    assert.equal(await inspect('stopper', '{{.State.ExitCode}}'), '137');
  });

  test('--health-start-interval (Config.Healthcheck.StartInterval): probes during the start period come at that interval (API ≥ 1.44)', async () => {
    const r = await docker([
      'run', '-d', '--name', 'startint', '--health-cmd', 'true', '--health-interval', '60s', '--health-start-period', '30s', '--health-start-interval', '1s',
      'busybox', 'sleep', '600',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await inspect('startint', '{{.Config.Healthcheck.StartInterval}}'), '1s');
    let status = '';
    for (let i = 0; i < 60 && status !== 'healthy'; i++) {
      await new Promise((res) => setTimeout(res, 200));
      status = await inspect('startint', '{{.State.Health.Status}}');
    }
    assert.equal(status, 'healthy');
    // The docker CLI refuses the flag itself against API 1.41 (dockerd 20.10), before any request.
    const old = await docker(['create', '--health-cmd', 'true', '--health-start-interval', '1s', 'busybox', 'true'], { ...h.env, DOCKER_API_VERSION: '1.41' });
    assert.notEqual(old.code, 0);
    assert.match(old.stderr, /"--health-start-interval" requires API version 1.44/);
    // Sent anyway through /v1.41, dockerd drops the field it does not know.
    const c = await api(h.socket, 'POST', '/v1.41/containers/create?name=startint41', { Image: 'busybox', Cmd: ['true'], Healthcheck: { Test: ['CMD', 'true'], StartInterval: 1e9 } });
    assert.equal(c.status, 201, c.body);
    assert.equal(await inspect('startint41', '{{json .Config.Healthcheck}}'), '{"Test":["CMD","true"]}');
  });

  test('--dns, --dns-option, --dns-search (HostConfig.Dns/DnsOptions/DnsSearch) are written to /etc/resolv.conf', async () => {
    const r = await docker(['run', '--rm', '--network', 'none', '--dns', '192.0.2.53', '--dns-option', 'ndots:3', '--dns-search', 'fields.example', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes('nameserver 192.0.2.53'), r.stdout);
    assert.ok(lines.includes('search fields.example'), r.stdout);
    assert.ok(lines.includes('options ndots:3'), r.stdout);
    assert.ok(!lines.some((l) => l.startsWith('nameserver') && l !== 'nameserver 192.0.2.53'), r.stdout);
  });

  test('--sysctl (HostConfig.Sysctls) sets the kernel parameters inside the container; runc refuses a host-wide one at start', async () => {
    const r = await docker(['run', '--rm', '--sysctl', 'kernel.shm_rmid_forced=1', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'sh', '-c', 'cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_forward']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['1', '1']);
    // The CLI refuses kernel.pid_max itself; through the API, dockerd creates and runc fails the start (500).
    const cli = await docker(['create', '--sysctl', 'kernel.pid_max=40000', 'busybox', 'true']);
    assert.match(cli.stderr, /sysctl 'kernel.pid_max=40000' is not allowed/);
    const c = await api(h.socket, 'POST', '/containers/create?name=pidmax', { Image: 'busybox', Cmd: ['true'], HostConfig: { Sysctls: { 'kernel.pid_max': '40000' } } });
    assert.equal(c.status, 201, c.body);
    const s = await api(h.socket, 'POST', '/containers/pidmax/start');
    assert.equal(s.status, 500);
    assert.match(s.body, /sysctl \\"kernel.pid_max\\" is not in a separate kernel namespace/);
    const host = await docker(['run', '--rm', '--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1', 'busybox', 'true']);
    assert.notEqual(host.code, 0);
    assert.match(host.stderr, /sysctl "net.ipv4.ip_forward" not allowed in host network namespace/);
  });

  test('--cgroup-parent (HostConfig.CgroupParent) puts the container under that parent', async () => {
    const r = await docker(['run', '--rm', '--name', 'cgparent', '--cgroup-parent', '/berth-fields-parent', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.equal(r.code, 0, r.stderr);
    const pids = r.stdout.split('\n').find((l) => l.includes(':pids:'));
    assert.match(pids ?? '', /:pids:\/berth-fields-parent\/[0-9a-f]{64}$/);
  });

  test('--cidfile (HostConfig.ContainerIDFile): the CLI writes the id, the daemon stores the path', async () => {
    const file = `${h.root}/cid`;
    const r = await docker(['create', '--name', 'cid', '--cidfile', file, 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(file, 'utf8'), r.stdout.trim());
    assert.equal(await inspect('cid', '{{.HostConfig.ContainerIDFile}}'), file);
  });

  test('--memory-swappiness (HostConfig.MemorySwappiness) and --cpuset-mems (HostConfig.CpusetMems) reach the cgroup', async () => {
    const r = await docker(['run', '--rm', '--memory-swappiness', '17', '--cpuset-mems', '0', 'busybox', 'sh', '-c', `${cgFile('memory', 'memory.swappiness')}; ${cgFile('cpuset', 'cpuset.mems')}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['17', '0']);
    const bad = await docker(['create', '--cpuset-mems', '3', 'busybox', 'true']);
    assert.match(bad.stderr, /Requested memory nodes are not available - requested 3, available: 0/);
  });

  test('--device-read-bps, --device-write-bps, --device-read-iops, --device-write-iops and --blkio-weight-device (HostConfig.BlkioDeviceReadBps/BlkioDeviceWriteBps/BlkioDeviceReadIOps/BlkioDeviceWriteIOps/BlkioWeightDevice)', async (t) => {
    const dev = await rootBlockDevice();
    if (dev === undefined) return t.skip('no block device behind /');
    const files = ['blkio.throttle.read_bps_device', 'blkio.throttle.write_bps_device', 'blkio.throttle.read_iops_device', 'blkio.throttle.write_iops_device'];
    const r = await docker([
      'run', '--rm', '--device-read-bps', `${dev.path}:1mb`, '--device-write-bps', `${dev.path}:2mb`, '--device-read-iops', `${dev.path}:100`,
      '--device-write-iops', `${dev.path}:200`, 'busybox', 'sh', '-c', files.map((f) => cgFile('blkio', f)).join('; '),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [`${dev.majmin} 1048576`, `${dev.majmin} 2097152`, `${dev.majmin} 100`, `${dev.majmin} 200`]);
    // Without CFQ's blkio.weight_device (blk-mq schedulers) dockerd warns and discards the weights.
    const hasWeightDevice = await readFile('/sys/fs/cgroup/blkio/blkio.weight_device').then(() => true, () => false);
    const w = await api(h.socket, 'POST', '/containers/create?name=weightdev', { Image: 'busybox', Cmd: ['true'], HostConfig: { BlkioWeightDevice: [{ Path: dev.path, Weight: 300 }] } });
    assert.equal(w.status, 201, w.body);
    if (!hasWeightDevice) {
      assert.deepEqual((JSON.parse(w.body) as { Warnings: string[] }).Warnings, ['Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.']);
      assert.equal(await inspect('weightdev', '{{json .HostConfig.BlkioWeightDevice}}'), '[]');
    }
    // A path that is no device fails the start, not the create (dockerd: 500 "stat …").
    const c = await api(h.socket, 'POST', '/containers/create?name=nodev', { Image: 'busybox', Cmd: ['true'], HostConfig: { BlkioDeviceReadBps: [{ Path: '/dev/berth-no-such-disk', Rate: 1000 }] } });
    assert.equal(c.status, 201, c.body);
    const s = await api(h.socket, 'POST', '/containers/nodev/start');
    assert.equal(s.status, 500);
    assert.equal(JSON.parse(s.body).message, 'stat /dev/berth-no-such-disk: no such file or directory');
  });

  test('--kernel-memory (HostConfig.KernelMemory): API 1.41 warns as dockerd 20.10 and checks the 6MB minimum; from 1.42 the field is ignored', async () => {
    const c = await api(h.socket, 'POST', '/v1.41/containers/create?name=kmem41', { Image: 'busybox', Cmd: ['true'], HostConfig: { KernelMemory: 64 << 20, KernelMemoryTCP: 32 << 20 } });
    assert.equal(c.status, 201, c.body);
    assert.deepEqual((JSON.parse(c.body) as { Warnings: string[] }).Warnings, ['Specifying a kernel memory limit is deprecated and will be removed in a future release.']);
    assert.equal(await inspect('kmem41', '{{.HostConfig.KernelMemory}}'), String(64 << 20));
    const small = await api(h.socket, 'POST', '/v1.41/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { KernelMemory: 100 } });
    assert.equal(small.status, 400);
    assert.equal(JSON.parse(small.body).message, 'Minimum kernel memory limit allowed is 6MB');
    const now = await api(h.socket, 'POST', '/v1.50/containers/create?name=kmem50', { Image: 'busybox', Cmd: ['true'], HostConfig: { KernelMemory: 100 } });
    assert.equal(now.status, 201, now.body);
    assert.deepEqual((JSON.parse(now.body) as { Warnings: string[] }).Warnings, []);
    assert.equal(await inspect('kmem50', '{{.HostConfig.KernelMemory}}'), '0');
  });

  test('--runtime (HostConfig.Runtime): runc runs, an unknown runtime is refused at create', async () => {
    const r = await docker(['run', '--rm', '--runtime', 'runc', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    const bad = await docker(['create', '--name', 'badruntime', '--runtime', 'nope', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Error response from daemon: Unknown runtime specified nope/);
  });

  test('--platform (?platform) on create: the local platform works, another one is dockerd\'s 404', async () => {
    const ok = await docker(['create', '--platform', 'linux/amd64', 'busybox', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
    const c = await api(h.socket, 'POST', '/containers/create?platform=linux/arm64', { Image: 'busybox', Cmd: ['true'] });
    assert.equal(c.status, 404);
    assert.equal(JSON.parse(c.body).message, 'image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64');
  });

  test('--oom-score-adj (HostConfig.OomScoreAdj) lands in /proc/self/oom_score_adj; out of range is refused', async () => {
    const r = await docker(['run', '--rm', '--oom-score-adj', '500', 'busybox', 'cat', '/proc/self/oom_score_adj']);
    assert.equal(r.stdout.trim(), '500', r.stderr);
    const bad = await docker(['create', '--oom-score-adj', '1001', 'busybox', 'true']);
    assert.match(bad.stderr, /Invalid value 1001, range for oom score adj is \[-1000, 1000\]/);
  });

  test('--ulimit (HostConfig.Ulimits) nproc and nofile, --pids-limit (HostConfig.PidsLimit), --shm-size (HostConfig.ShmSize), --group-add (HostConfig.GroupAdd)', async () => {
    const r = await docker([
      'run', '--rm', '--ulimit', 'nproc=100:200', '--ulimit', 'nofile=50:60', '--pids-limit', '33', '--shm-size', '8m', '--group-add', '1234', 'busybox', 'sh', '-c',
      `ulimit -u; ulimit -Hu; ulimit -n; ${cgFile('pids', 'pids.max')}; df -k /dev/shm | tail -1 | awk '{print $2}'; id -G`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['100', '200', '50', '33', '8192', '0 1234']);
  });

  test('--userns host (HostConfig.UsernsMode) under a daemon without userns-remap runs as usual', async () => {
    const r = await docker(['run', '--rm', '--userns', 'host', 'busybox', 'cat', '/proc/self/uid_map']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s*0\s+0\s+4294967295/);
  });

  test('Config.ArgsEscaped and Config.Shell (Windows-only) are stored and ignored on Linux', async () => {
    const c = await api(h.socket, 'POST', '/containers/create?name=winfields', { Image: 'busybox', Cmd: ['true'], Shell: ['/bin/bash', '-c'], ArgsEscaped: true });
    assert.equal(c.status, 201, c.body);
    assert.equal(await inspect('winfields', '{{json .Config.Shell}} {{json .Config.ArgsEscaped}}'), '["/bin/bash","-c"] true');
    assert.equal((await docker(['start', '-a', 'winfields'])).code, 0);
  });

  test('Config.NetworkDisabled: the container joins no network, only loopback', async () => {
    const c = await api(h.socket, 'POST', '/containers/create?name=nonet', { Image: 'busybox', Cmd: ['sh', '-c', 'ls /sys/class/net'], NetworkDisabled: true });
    assert.equal(c.status, 201, c.body);
    const s = await docker(['start', '-a', 'nonet']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout.trim(), 'lo');
    assert.equal(await inspect('nonet', '{{.Config.NetworkDisabled}} {{json .NetworkSettings.Networks}}'), 'true {}');
  });

  test('HostConfig.MaskedPaths and HostConfig.ReadonlyPaths sent through the API replace Docker\'s defaults', async () => {
    const c = await api(h.socket, 'POST', '/containers/create?name=paths', {
      Image: 'busybox',
      Cmd: ['sh', '-c', 'wc -c < /etc/passwd; touch /etc/x 2>&1; echo berth > /proc/sys/kernel/domainname && echo wrote'],
      HostConfig: { MaskedPaths: ['/etc/passwd'], ReadonlyPaths: ['/etc'] },
    });
    assert.equal(c.status, 201, c.body);
    const s = await docker(['start', '-a', 'paths']);
    assert.deepEqual(s.stdout.trim().split('\n'), ['0', 'touch: /etc/x: Read-only file system', 'wrote']);
    assert.equal(await inspect('paths', '{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}'), '["/etc/passwd"] ["/etc"]');
  });

  test('--annotation (HostConfig.Annotations, API ≥ 1.43) reaches the OCI spec; below 1.43 it is dropped', async () => {
    const r = await docker(['run', '-d', '--name', 'annotated', '--annotation', 'com.example.field=yes', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const spec = JSON.parse(await readFile(`${h.execRoot}/containers/${id}/config.json`, 'utf8')) as { annotations?: Record<string, string> };
    assert.equal(spec.annotations?.['com.example.field'], 'yes');
    assert.equal(await inspect('annotated', '{{json .HostConfig.Annotations}}'), '{"com.example.field":"yes"}');
    const old = await api(h.socket, 'POST', '/v1.41/containers/create?name=annotated41', { Image: 'busybox', Cmd: ['true'], HostConfig: { Annotations: { a: 'b' } } });
    assert.equal(old.status, 201, old.body);
    assert.equal(await inspect('annotated41', '{{json .HostConfig.Annotations}}'), 'null');
  });

  test('HostConfig.CpuCount is stored, CpuPercent warned and discarded, IOMaximumIOps/IOMaximumBandwidth refused, as dockerd on Linux', async () => {
    const c = await api(h.socket, 'POST', '/containers/create?name=winres', { Image: 'busybox', Cmd: ['true'], HostConfig: { CpuCount: 2, CpuPercent: 50 } });
    assert.equal(c.status, 201, c.body);
    assert.deepEqual((JSON.parse(c.body) as { Warnings: string[] }).Warnings, ['linux does not support CPU percent. Percent discarded.']);
    assert.equal(await inspect('winres', '{{.HostConfig.CpuCount}} {{.HostConfig.CpuPercent}}'), '2 0');
    for (const [field, text] of [['IOMaximumIOps', 'maximum IOPs'], ['IOMaximumBandwidth', 'maximum bandwidth']] as const) {
      const r = await api(h.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { [field]: 100 } });
      assert.equal(r.status, 500, field);
      assert.equal(JSON.parse(r.body).message, `Invalid QoS settings: linux does not support configuration of ${text}`);
    }
  });

  test('--volume-driver (HostConfig.VolumeDriver) without volumes is stored', async () => {
    const r = await docker(['create', '--name', 'voldriver', '--volume-driver', 'local', 'busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await inspect('voldriver', '{{.HostConfig.VolumeDriver}}'), 'local');
  });

  test('--init (HostConfig.Init) runs the daemon\'s init binary as pid 1', async () => {
    const r = await docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\/sbin\/docker-init -- sh -c/);
  });
});
