import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { readFile, readlink } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { nextFreeRangeStart } from '../../src/engine/security/userns-remap.js';
import { loadBusybox, mountsUnder, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { buildOciSpec, type OciSpecInput } from '../../src/engine/containers/oci-spec.js';

/*
 * Docker's --pid/--ipc/--uts/--cgroupns modes, through the real docker CLI
 * and berth against one berthd: what a container sees, the refusals (texts
 * and exit 125 as Docker's), and no /dev/shm tmpfs left behind.
 */

describe('namespace modes in the OCI spec', () => {
  const base: OciSpecInput = {
    id: 'c1', rootfsPath: 'rootfs', args: ['sh'], env: [], user: { uid: 0, gid: 0, additionalGids: [] }, tty: false, hostname: 'h1',
    networkNamespace: { type: 'new' }, cgroupV2: false, hostLimits: new Map(),
  };
  const types = (i: OciSpecInput): string[] => (buildOciSpec(i).linux.namespaces ?? []).map((n) => (n.path ? `${n.type}=${n.path}` : n.type));
  const shm = (i: OciSpecInput) => buildOciSpec(i).mounts.filter((m) => m.destination === '/dev/shm');

  test('host modes drop the namespace; joined ones carry the path and no hostname', () => {
    assert.deepEqual(types({ ...base, pidNamespace: { type: 'host' }, utsNamespace: { type: 'host' }, ipcNamespace: { type: 'host' } }), ['mount', 'network']);
    const joined = { ...base, pidNamespace: { type: 'path', path: '/proc/7/ns/pid' }, utsNamespace: { type: 'path', path: '/proc/7/ns/uts' } } as const;
    assert.deepEqual(types(joined), ['mount', 'network', 'uts=/proc/7/ns/uts', 'pid=/proc/7/ns/pid', 'ipc']);
    assert.equal(buildOciSpec(joined).hostname, undefined);
  });

  test('cgroup namespace on request also on v1, off on request on v2', () => {
    assert.ok(types({ ...base, cgroupNamespace: true }).includes('cgroup'));
    assert.ok(!types({ ...base, cgroupV2: true, cgroupNamespace: false }).includes('cgroup'));
    assert.ok(types({ ...base, cgroupV2: true }).includes('cgroup'));
  });

  test('/dev/shm: tmpfs when private, none with noShm, the given bind when shared', () => {
    assert.equal(shm(base)[0]?.type, 'tmpfs');
    assert.deepEqual(shm({ ...base, noShm: true }), []);
    const bind = shm({ ...base, ipcNamespace: { type: 'path', path: '/proc/7/ns/ipc' }, mounts: [{ destination: '/dev/shm', source: '/d/mounts/shm' }] });
    assert.deepEqual(bind, [{ destination: '/dev/shm', type: 'bind', source: '/d/mounts/shm', options: ['rbind', 'rprivate'] }]);
  });
});

let h: BerthdHarness;

before(async () => {
  h = await startBerthd('h8b-namespaces');
  await loadBusybox(h);
});
after(async () => {
  await h?.stop();
});

const shmMounts = async (): Promise<string[]> => (await mountsUnder(h.root)).filter((m) => m.endsWith('/mounts/shm'));

for (const cli of ['docker', 'berth'] as const) {
  describe(`namespace modes via ${cli}`, () => {
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const name = (n: string): string => `${cli}-${n}`;
    const inspect = async (ref: string, format: string): Promise<string> => {
      const r = await run(['inspect', '-f', format, ref]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };
    const containerCount = async (): Promise<number> => {
      const r = await run(['ps', '-aq']);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
    };

    after(async () => {
      const r = await run(['ps', '-aq', '--filter', `name=${cli}-`]);
      const ids = r.stdout.split('\n').filter((l) => l.trim() !== '');
      if (ids.length > 0) await run(['rm', '-f', ...ids]);
    });

    test('--pid host sees the host processes, berthd among them', async () => {
      const r = await run(['run', '--rm', '--pid', 'host', 'busybox', 'ps']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(h.pid !== undefined);
      assert.match(r.stdout, new RegExp(`^\\s*${h.pid}\\s`, 'm'), 'berthd is listed');
      const own = await run(['run', '--rm', 'busybox', 'ps']);
      assert.doesNotMatch(own.stdout, new RegExp(`^\\s*${h.pid}\\s`, 'm'), 'a private pid namespace does not list berthd');
      const privileged = await run(['run', '--rm', '--privileged', '--pid', 'host', 'busybox', 'true']);
      assert.equal(privileged.code, 0, privileged.stderr);
    });

    test("--pid container:X sees X's processes; inspect shows the resolved id", async () => {
      const donor = await run(['run', '-d', '--name', name('piddonor'), 'busybox', 'sleep', '300']);
      assert.equal(donor.code, 0, donor.stderr);
      const r = await run(['run', '--name', name('pidjoin'), '--pid', `container:${name('piddonor')}`, 'busybox', 'ps']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\s*1\s+root\s+sleep 300/m);
      assert.equal(await inspect(name('pidjoin'), '{{.HostConfig.PidMode}}'), `container:${donor.stdout.trim()}`);
      await run(['rm', '-f', name('pidjoin'), name('piddonor')]);
    });

    test('joining the PID namespace of a stopped container fails at start', async () => {
      const donor = await run(['create', '--name', name('pidstopped'), 'busybox', 'true']);
      assert.equal(donor.code, 0, donor.stderr);
      const joiner = await run(['create', '--name', name('pidlate'), '--pid', `container:${name('pidstopped')}`, 'busybox', 'true']);
      assert.equal(joiner.code, 0, joiner.stderr);
      const r = await run(['start', name('pidlate')]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`container ${donor.stdout.trim()} is not running`));
      await run(['rm', '-f', name('pidlate'), name('pidstopped')]);
    });

    test('--ipc shareable and --ipc container:X share the namespace and /dev/shm; unmounted after stop', async () => {
      const donor = await run(['run', '-d', '--name', name('ipcdonor'), '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo shared > /dev/shm/f; sleep 300']);
      assert.equal(donor.code, 0, donor.stderr);
      assert.equal(await inspect(name('ipcdonor'), '{{.HostConfig.IpcMode}}'), 'shareable');
      const donorPid = Number(await inspect(name('ipcdonor'), '{{.State.Pid}}'));
      const donorIpc = await readlink(`/proc/${donorPid}/ns/ipc`);
      assert.equal((await shmMounts()).length, 1, 'the shareable /dev/shm is a tmpfs under the container dir');
      let r = { code: 1, stdout: '', stderr: '' };
      for (let i = 0; i < 20 && r.stdout.trim() !== `shared ${donorIpc}`; i++) {
        r = await run(['run', '--rm', '--ipc', `container:${name('ipcdonor')}`, 'busybox', 'sh', '-c', 'echo $(cat /dev/shm/f) $(readlink /proc/self/ns/ipc)']);
      }
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `shared ${donorIpc}`);
      const stop = await run(['stop', '-t', '0', name('ipcdonor')]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.deepEqual(await shmMounts(), []);
      const late = await run(['run', '--rm', '--ipc', `container:${name('ipcdonor')}`, 'busybox', 'true']);
      assert.equal(late.code, 125);
      assert.match(late.stderr, /container \w{64} is not running/);
      await run(['rm', '-f', name('ipcdonor')]);
    });

    test('joining a private IPC namespace is refused with Docker’s hint', async () => {
      const donor = await run(['run', '-d', '--name', name('ipcprivate'), 'busybox', 'sleep', '300']);
      assert.equal(donor.code, 0, donor.stderr);
      assert.equal(await inspect(name('ipcprivate'), '{{.HostConfig.IpcMode}}'), 'private');
      const r = await run(['run', '--rm', '--ipc', `container:${name('ipcprivate')}`, 'busybox', 'true']);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
      const missing = await run(['run', '--rm', '--ipc', `container:${name('nope')}`, 'busybox', 'true']);
      assert.equal(missing.code, 125);
      assert.match(missing.stderr, new RegExp(`No such container: ${name('nope')}`));
      await run(['rm', '-f', name('ipcprivate')]);
    });

    test('--ipc none has no /dev/shm; --ipc host has the host’s', async () => {
      const none = await run(['run', '--rm', '--ipc', 'none', 'busybox', 'ls', '/dev/shm']);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /\/dev\/shm: No such file or directory/);
      const hostIpc = await readlink('/proc/self/ns/ipc');
      const host = await run(['run', '--rm', '--ipc', 'host', 'busybox', 'readlink', '/proc/self/ns/ipc']);
      assert.equal(host.code, 0, host.stderr);
      assert.equal(host.stdout.trim(), hostIpc);
    });

    test('--uts host shows the host name; with -h it is refused', async () => {
      const r = await run(['run', '--rm', '--uts', 'host', 'busybox', 'hostname']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), hostname());
      const conflict = await run(['run', '--rm', '--uts', 'host', '-h', 'foo', 'busybox', 'true']);
      assert.equal(conflict.code, 125);
      assert.match(conflict.stderr, /conflicting options: hostname and the UTS mode/);
    });

    test('--cgroupns private roots /proc/self/cgroup at /; the v1 default is host', async () => {
      const priv = await run(['run', '--rm', '--cgroupns', 'private', 'busybox', 'cat', '/proc/self/cgroup']);
      assert.equal(priv.code, 0, priv.stderr);
      const lines = priv.stdout.trim().split('\n');
      assert.ok(lines.length > 0 && lines.every((l) => l.endsWith(':/')), priv.stdout);
      const dflt = await run(['run', '--name', name('cgdefault'), 'busybox', 'cat', '/proc/self/cgroup']);
      assert.equal(dflt.code, 0, dflt.stderr);
      assert.ok(dflt.stdout.trim().split('\n').some((l) => !l.endsWith(':/')), dflt.stdout);
      assert.equal(await inspect(name('cgdefault'), '{{.HostConfig.CgroupnsMode}} {{.HostConfig.PidMode}}|{{.HostConfig.UTSMode}}'), 'host |');
      await run(['rm', '-f', name('cgdefault')]);
    });

    test('bad modes: Docker’s messages, exit 125, nothing created', async () => {
      const before = await containerCount();
      const cases: Array<[string[], RegExp]> = [
        [['--pid', 'bogus'], /--pid: invalid PID mode/],
        [['--pid', 'container:'], /--pid: invalid PID mode/],
        [['--uts', 'bogus'], /--uts: invalid UTS mode/],
        [['--cgroupns', 'bogus'], /--cgroupns: invalid CGROUP mode/],
        [['--ipc', 'bogus'], /invalid IPC mode: bogus/],
        [['--pid', 'container:h8b-nope'], /No such container: h8b-nope/],
      ];
      for (const [flags, message] of cases) {
        const r = await run(['run', '--rm', ...flags, 'busybox', 'true']);
        assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
      }
      assert.equal(await containerCount(), before);
    });

    test('no shm mounts are left after the containers are removed', async () => {
      const a = await run(['run', '-d', '--name', name('leak'), '--ipc', 'shareable', 'busybox', 'sleep', '300']);
      assert.equal(a.code, 0, a.stderr);
      assert.equal((await shmMounts()).length, 1);
      const rm = await run(['rm', '-f', name('leak')]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.deepEqual(await shmMounts(), []);
    });
  });
}

/*
 * userns-remap: a joiner must enter the donor's user namespace (as moby),
 * which berthd can do when the joiner has no network namespace of its own.
 * The remap account is made for this test and removed after it.
 */
describe('namespace modes under userns-remap', () => {
  const account = 'h8bns';
  let r: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: r.env, timeoutMs: 60_000 });
  const sh = promisify(execFile);

  before(async () => {
    await sh('userdel', [account]).catch(() => undefined);
    const start = nextFreeRangeStart(await readFile('/etc/subuid', 'utf8').catch(() => ''), await readFile('/etc/subgid', 'utf8').catch(() => '')) + 10 * 65536;
    await sh('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', account]);
    const range = `${start}-${start + 65535}`;
    await sh('usermod', ['--add-subuids', range, '--add-subgids', range, account]);
    r = await startBerthd('h8b-ns-remap', { daemonJson: { 'userns-remap': account } });
    await loadBusybox(r);
  });
  after(async () => {
    await r?.stop();
    await sh('userdel', [account]).catch(() => undefined);
  });

  test('joining IPC and PID works without an own network namespace; with one it is refused clearly', async () => {
    const donor = await docker(['run', '-d', '--name', 'remap-donor', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo remapped > /dev/shm/f; sleep 300']);
    assert.equal(donor.code, 0, donor.stderr);
    let ipc = { code: 1, stdout: '', stderr: '' };
    for (let i = 0; i < 20 && ipc.stdout.trim() !== 'remapped'; i++) {
      ipc = await docker(['run', '--rm', '--network', 'none', '--ipc', 'container:remap-donor', 'busybox', 'cat', '/dev/shm/f']);
    }
    assert.equal(ipc.stdout.trim(), 'remapped', ipc.stderr);
    const pid = await docker(['run', '--rm', '--network', 'container:remap-donor', '--pid', 'container:remap-donor', 'busybox', 'ps']);
    assert.equal(pid.code, 0, pid.stderr);
    assert.match(pid.stdout, /^\s*1\s+root\s+(sleep 300|sh -c)/m);
    const bridged = await docker(['run', '--rm', '--ipc', 'container:remap-donor', 'busybox', 'true']);
    assert.equal(bridged.code, 125);
    assert.match(bridged.stderr, /--network container:<donor> or --network none/);
    const rm = await docker(['rm', '-f', 'remap-donor']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual((await mountsUnder(r.root)).filter((m) => m.endsWith('/mounts/shm')), []);
  });
});
