import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { nextFreeRangeStart, parseSubIds, resolveUsernsRemap, validateUsernsHostConfig, type UsernsRemapIo } from '../../src/engine/security/userns-remap.js';
import { parseDaemonArgs } from '../../src/daemon/config/parse-daemon-args.js';

function sh(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('userns-remap value resolution (no host changes)', () => {
  const io = (over: Partial<UsernsRemapIo> = {}): UsernsRemapIo => ({
    passwd: async () => 'root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\nbob:x:1002:1002::/:/bin/false\n',
    group: async () => 'root:x:0:\nalice:x:1001:\nstaff:x:50:\n',
    subuid: async () => 'alice:200000:65536\nalice:400000:1000\n1002:300000:65536\n',
    subgid: async () => 'alice:500000:65536\nbob:600000:65536\n',
    exec: async () => {
      throw new Error('must not create users');
    },
    ...over,
  });

  test('user, user:group, uid and uid:gid read the ranges of the user', async () => {
    const a = await resolveUsernsRemap('alice', io());
    assert.equal(a?.name, 'alice:alice');
    assert.deepEqual(a?.root, { uid: 200000, gid: 500000 });
    assert.deepEqual(a?.idMap.uids, [
      { containerId: 0, hostId: 200000, size: 65536 },
      { containerId: 65536, hostId: 400000, size: 1000 },
    ]);
    assert.equal((await resolveUsernsRemap('alice:staff', io()))?.name, 'alice:staff');
    assert.equal((await resolveUsernsRemap('1001', io()))?.name, 'alice:alice');
    assert.equal((await resolveUsernsRemap('1001:50', io()))?.name, 'alice:staff');
    const bob = await resolveUsernsRemap('bob:staff', io());
    assert.deepEqual(bob?.root, { uid: 300000, gid: 600000 }, 'a subuid line may name the uid');
  });

  test("dockerd's errors and the root no-op", async () => {
    await assert.rejects(resolveUsernsRemap('a:b:c', io()), /Invalid user\/group specification in --userns-remap: "a:b:c"/);
    await assert.rejects(resolveUsernsRemap('nobody', io()), /Error during uid lookup for "nobody"/);
    await assert.rejects(resolveUsernsRemap('bob', io()), /Error during gid lookup for "bob"/);
    await assert.rejects(resolveUsernsRemap('alice:nogroup', io()), /Error during groupname lookup for "nogroup"/);
    await assert.rejects(resolveUsernsRemap('4242', io()), /Uid 4242 has no entry in \/etc\/passwd/);
    await assert.rejects(resolveUsernsRemap('alice', io({ subgid: async () => '' })), /Can't create ID mappings: No subgid ranges found for user "alice"/);
    assert.equal(await resolveUsernsRemap('root', io()), undefined);
    assert.equal(await resolveUsernsRemap('', io()), undefined);
  });

  test('default creates the berth account and a free 65536-id range once', async () => {
    const calls: string[][] = [];
    let passwd = 'root:x:0:0::/root:/bin/sh\n';
    const fake = io({
      passwd: async () => passwd,
      group: async () => 'root:x:0:\nberth:x:995:\n',
      subuid: async () => 'other:100000:65536\n',
      subgid: async () => 'other:100000:65536\n',
      exec: async (cmd, args) => {
        calls.push([cmd, ...args]);
        if (cmd === 'useradd') passwd += 'berth:x:990:995::/:/bin/false\n';
      },
    });
    await assert.rejects(resolveUsernsRemap('default', fake), /No subuid ranges found for user "berth"/, 'the fake usermod writes nothing');
    assert.deepEqual(calls, [
      ['useradd', '--system', '--shell', '/bin/false', '--no-create-home', '--gid', 'berth', 'berth'],
      ['usermod', '--add-subuids', '165536-231071', '--add-subgids', '165536-231071', 'berth'],
    ]);
    assert.equal(nextFreeRangeStart('', ''), 100000);
    assert.equal(nextFreeRangeStart('a:100000:65536\nb:165536:10\n', 'c:300000:5'), 165546);
    assert.deepEqual(parseSubIds('# c\nx:1:2\nx:bad:3\n', 'x'), [{ start: 1, count: 2 }]);
  });

  test('--userns-remap is a daemon flag; Docker refuses privileged, host network and host pid without --userns=host', async () => {
    const args = parseDaemonArgs(['--userns-remap', 'default']);
    assert.equal(args.kind === 'run' ? args.settings['userns-remap'] : undefined, 'default');
    const remap = await resolveUsernsRemap('alice', io());
    assert.throws(() => validateUsernsHostConfig(remap, { Privileged: true }), {
      message: 'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode',
    });
    assert.throws(() => validateUsernsHostConfig(remap, { NetworkMode: 'host' }), /cannot share the host's network namespace when user namespaces are enabled/);
    assert.throws(() => validateUsernsHostConfig(remap, { PidMode: 'host' }), /cannot share the host PID namespace when user namespaces are enabled/);
    validateUsernsHostConfig(remap, { Privileged: true, NetworkMode: 'host', PidMode: 'host', UsernsMode: 'host' });
    validateUsernsHostConfig(undefined, { Privileged: true });
  });
});

/*
 * A daemon with "userns-remap": "default". That creates the `berth` account
 * with subordinate ids on this host, as it would on a real one; when the
 * account did not exist before, `after` removes it again (and puts back the
 * `berth` group userdel takes with it).
 */
describe('containers under userns-remap', () => {
  let h: BerthdHarness;
  let shared: string;
  let hostRoot: number;
  let hostRootGid: number;
  let createdUser = false;
  let groupGid: string | undefined;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    createdUser = (await sh('getent', ['passwd', 'berth'])).code !== 0;
    groupGid = (await sh('getent', ['group', 'berth'])).stdout.split(':')[2];
    h = await startBerthd('h8-userns', { daemonJson: { 'userns-remap': 'default' } });
    await loadBusybox(h);
    const subuid = parseSubIds(await readFile('/etc/subuid', 'utf8'), 'berth');
    const subgid = parseSubIds(await readFile('/etc/subgid', 'utf8'), 'berth');
    assert.ok(subuid[0] && subgid[0], 'default created subordinate ids for berth');
    hostRoot = subuid[0].start;
    hostRootGid = subgid[0].start;
    shared = `/dev/shm/h8-userns-${process.pid}`;
    await mkdir(shared, { recursive: true });
    await chmod(shared, 0o777); // the remapped root is an unprivileged user on the host
  });
  after(async () => {
    await h?.stop();
    await rm(shared, { recursive: true, force: true });
    if (createdUser) {
      await sh('userdel', ['berth']);
      if (groupGid !== undefined && (await sh('getent', ['group', 'berth'])).code !== 0) await sh('groupadd', ['--system', '--gid', groupGid.trim(), 'berth']);
      for (const f of ['/etc/subuid', '/etc/subgid']) {
        const lines = (await readFile(f, 'utf8')).split('\n');
        const kept = lines.filter((l) => !l.startsWith('berth:'));
        if (kept.length !== lines.length) await sh('sh', ['-c', `printf '%s' "$1" > ${f}`, 'sh', kept.join('\n')]);
      }
    }
  });

  test('info: the userns security option and the remapped data root', async () => {
    const r = await docker(['info', '--format', '{{json .SecurityOptions}} {{.DockerRootDir}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"name=userns"/);
    assert.ok(r.stdout.trim().endsWith(`/${hostRoot}.${hostRootGid}`), r.stdout);
    const st = await stat(`${h.dataRoot}/${hostRoot}.${hostRootGid}`);
    assert.equal(st.mode & 0o777, 0o710);
    assert.equal(st.gid, hostRootGid);
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`${cli}: root inside is uid 0, and uid_map shows the shift to the subordinate range`, async () => {
      const r = await runCli(cli, ['run', '--rm', 'busybox', 'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'], { env: h.env, timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      const [uid, gid, umap, gmap] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
      assert.equal(uid, '0');
      assert.equal(gid, '0');
      assert.equal(umap, `0 ${hostRoot} 65536`);
      assert.equal(gmap, `0 ${hostRootGid} 65536`);
    });

    test(`${cli}: --privileged without --userns=host is refused with Docker's message`, async () => {
      const r = await runCli(cli, ['run', '--rm', '--privileged', 'busybox', 'true'], { env: h.env });
      assert.equal(r.code, 125);
      assert.match(r.stderr, /Error response from daemon: privileged mode is incompatible with user namespaces\.  You must run the container in the host namespace when running privileged mode/);
    });
  }

  test('a file written as root into a bind mount is owned by the remapped host ids', async () => {
    const r = await docker(['run', '--rm', '-v', `${shared}:/shared`, 'busybox', 'sh', '-c', 'echo hi > /shared/by-root && ls -ln /shared/by-root']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\S+\s+\d+\s+0\s+0\s/, 'root inside');
    const st = await stat(`${shared}/by-root`);
    assert.equal(st.uid, hostRoot);
    assert.equal(st.gid, hostRootGid);
  });

  test('image files show root ownership inside; the rootfs, /etc files and / are writable by the container root', async () => {
    const r = await docker(['run', '--rm', 'busybox', 'sh', '-c', 'ls -ln /bin/busybox; touch /new-file && echo ok; echo "10.9.9.9 extra" >> /etc/hosts && tail -n1 /etc/hosts; ls -lnd /']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^\S+\s+\d+\s+0\s+0\s/);
    assert.equal(lines[1], 'ok');
    assert.equal(lines[2], '10.9.9.9 extra');
    assert.match(lines[3] ?? '', /^d\S+\s+\d+\s+0\s+0\s/);
  });

  test('an imported layer is unpacked shifted, parents it leaves out included', async () => {
    const src = `${shared}/layer-src`;
    await mkdir(`${src}/a/b`, { recursive: true });
    await writeFile(`${src}/a/b/file`, 'f');
    const t = await sh('tar', ['-C', src, '--owner=7', '--group=8', '--numeric-owner', '-cf', `${shared}/layer.tar`, 'a/b/file']);
    assert.equal(t.code, 0, t.stderr);
    const imp = await docker(['import', `${shared}/layer.tar`, 'h8-userns-imported']);
    assert.equal(imp.code, 0, imp.stderr);
    const layer = await docker(['image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', 'h8-userns-imported']);
    const fs = `${h.dataRoot}/${hostRoot}.${hostRootGid}/snapshots/${layer.stdout.trim().replace('sha256:', '')}/fs`;
    const file = await stat(`${fs}/a/b/file`);
    assert.deepEqual([file.uid, file.gid], [hostRoot + 7, hostRootGid + 8]);
    for (const dir of ['a', 'a/b']) {
      const st = await stat(`${fs}/${dir}`);
      assert.deepEqual([st.uid, st.gid], [hostRoot, hostRootGid], dir);
    }
  });

  test('--read-only and --tmpfs work in the user namespace', async () => {
    const r = await docker(['run', '--rm', '--read-only', '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'touch /scratch/x && ls -lnd /scratch && ! touch /y 2>/dev/null && echo ro']);
    assert.equal(r.code, 0, r.stderr);
    const [scratch, ro] = r.stdout.trim().split('\n');
    assert.match(scratch ?? '', /^d\S+\s+\d+\s+0\s+0\s/);
    assert.equal(ro, 'ro');
  });

  test('a named volume written inside is owned by the remapped ids on the host', async () => {
    const w = await docker(['run', '--rm', '-v', 'h8-userns-vol:/data', 'busybox', 'sh', '-c', 'touch /data/x && mkdir /data/d && ls -lnd /data']);
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, /^d\S+\s+\d+\s+0\s+0\s/);
    const mp = await docker(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'h8-userns-vol']);
    assert.equal(mp.code, 0, mp.stderr);
    for (const p of ['', '/x', '/d']) {
      const st = await stat(`${mp.stdout.trim()}${p}`);
      assert.equal(st.uid, hostRoot, p);
      assert.equal(st.gid, hostRootGid, p);
    }
    // Copy-up from the image keeps the shifted owners: /etc in busybox is root's.
    const c = await docker(['run', '--rm', '-v', 'h8-userns-etc:/etc', 'busybox', 'ls', '-lnd', '/etc/passwd']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^\S+\s+\d+\s+0\s+0\s/);
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`${cli}: --userns=host opts out: host ids, and --privileged is allowed; host network needs it`, async () => {
      const r = await runCli(cli, ['run', '--rm', '--userns=host', '--privileged', 'busybox', 'cat', '/proc/self/uid_map'], { env: h.env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split(/\s+/).join(' '), '0 0 4294967295');
      const net = await runCli(cli, ['run', '--rm', '--net=host', 'busybox', 'true'], { env: h.env });
      assert.equal(net.code, 125);
      assert.match(net.stderr, /cannot share the host's network namespace when user namespaces are enabled/);
      const hostNet = await runCli(cli, ['run', '--rm', '--userns=host', '--net=host', 'busybox', 'true'], { env: h.env });
      assert.equal(hostNet.code, 0, hostNet.stderr);
      const bad = await runCli(cli, ['run', '--rm', '--userns=bogus', 'busybox', 'true'], { env: h.env });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /--userns: invalid USER mode/);
    });
  }

  test('exec joins the container user namespace', async () => {
    const run = await docker(['run', '-d', '--name', 'h8-userns-exec', 'busybox', 'sleep', '300']);
    assert.equal(run.code, 0, run.stderr);
    const e = await docker(['exec', 'h8-userns-exec', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    assert.equal(e.code, 0, `${e.stderr}${e.stdout}${await h.logs()}`);
    const [uid, map] = e.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.equal(uid, '0');
    assert.equal(map, `0 ${hostRoot} 65536`);
    const pid = await docker(['inspect', '--format', '{{.State.Pid}}', 'h8-userns-exec']);
    const st = await stat(`/proc/${pid.stdout.trim()}`);
    assert.equal(st.uid, hostRoot, 'the container process runs as the remapped uid on the host');
  });

  test('the container has its network: an address on eth0 and the gateway answers ping (raw sockets in its own netns)', async () => {
    const r = await docker(['run', '--rm', 'busybox', 'sh', '-c', 'ip -4 addr show eth0 | grep -q inet && gw=$(ip route | awk \'/default/ {print $3}\') && ping -c1 -W3 "$gw" >/dev/null && echo up']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.stdout.trim(), 'up');
  });

  test('docker cp shifts owners both ways; export and commit carry the container ids', async () => {
    const c = await docker(['run', '--name', 'h8-userns-files', 'busybox', 'sh', '-c', 'touch /made && mkdir /owned && chown 1000:1000 /owned']);
    assert.equal(c.code, 0, c.stderr);
    await writeFile(`${shared}/in.txt`, 'in');
    const cpIn = await docker(['cp', `${shared}/in.txt`, 'h8-userns-files:/in.txt']);
    assert.equal(cpIn.code, 0, cpIn.stderr);
    const tarList = async (args: string[]): Promise<string> => {
      const r = await sh('sh', ['-c', `DOCKER_HOST=${h.env.DOCKER_HOST ?? ''} DOCKER_CONFIG=${h.env.DOCKER_CONFIG ?? ''} docker ${args.join(' ')} | tar --numeric-owner -tvf -`]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const cpOut = await tarList(['cp', 'h8-userns-files:/bin/busybox', '-']);
    assert.match(cpOut, /^\S+ 0\/0 /, cpOut);
    const exported = await tarList(['export', 'h8-userns-files']);
    for (const [path, owner] of [['bin/busybox', '0/0'], ['made', '0/0'], ['in.txt', '0/0'], ['owned/', '1000/1000']] as const) {
      assert.match(exported, new RegExp(`^\\S+ ${owner} .* ${path.replace('.', '\\.')}$`, 'm'), path);
    }
    const commit = await docker(['commit', 'h8-userns-files', 'h8-userns-committed']);
    assert.equal(commit.code, 0, commit.stderr);
    const r = await docker(['run', '--rm', 'h8-userns-committed', 'ls', '-lnd', '/made', '/owned', '/in.txt', '/bin/busybox']);
    assert.equal(r.code, 0, r.stderr);
    const owners = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(2, 4).join(':'));
    assert.deepEqual(owners, ['0:0', '0:0', '0:0', '1000:1000']);
  });

  test('a classic build (COPY and RUN) gives an image with the container ids', async () => {
    const dir = `${shared}/build`;
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/copied`, 'x');
    await writeFile(`${dir}/Dockerfile`, 'FROM busybox\nCOPY copied /copied\nRUN touch /ran && mkdir /five && chown 5:5 /five && touch /etc/group\n');
    const b = await runCli('docker', ['build', '-q', '-t', 'h8-userns-built', dir], { env: { ...h.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
    assert.equal(b.code, 0, b.stderr);
    const r = await docker(['run', '--rm', 'h8-userns-built', 'ls', '-lnd', '/copied', '/ran', '/five', '/etc/group']);
    assert.equal(r.code, 0, r.stderr);
    const owners = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(2, 4).join(':'));
    assert.deepEqual(owners, ['0:0', '0:0', '5:5', '0:0'], 'ls order: /copied /etc/group /five /ran');
  });

  test('--network none and --network container: also run remapped, and exec works in them', async () => {
    const none = await docker(['run', '--rm', '--network', 'none', 'busybox', 'cat', '/proc/self/uid_map']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.trim().split(/\s+/).join(' '), `0 ${hostRoot} 65536`);
    const joined = await docker(['run', '-d', '--name', 'h8-userns-joined', '--network', 'container:h8-userns-exec', 'busybox', 'sleep', '300']);
    assert.equal(joined.code, 0, joined.stderr);
    const e = await docker(['exec', 'h8-userns-joined', 'sh', '-c', 'id -u; ip -4 addr show eth0 | grep -c inet']);
    assert.equal(e.code, 0, e.stderr);
    assert.deepEqual(e.stdout.trim().split('\n'), ['0', '1']);
    const rm = await docker(['rm', '-f', 'h8-userns-joined']);
    assert.equal(rm.code, 0, rm.stderr);
  });

  test('containers keep working across a berthd restart', async () => {
    const created = await docker(['create', '--name', 'h8-userns-later', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    assert.equal(created.code, 0, created.stderr);
    await h.restart();
    const start = await docker(['start', '-a', 'h8-userns-later']);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(start.stdout.trim().split('\n')[0], '0');
    assert.match(start.stdout, new RegExp(`0\\s+${hostRoot}\\s+65536`));
    const again = await docker(['start', 'h8-userns-exec']);
    assert.equal(again.code, 0, again.stderr);
    const e = await docker(['exec', 'h8-userns-exec', 'id', '-u']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(e.stdout.trim(), '0');
    const info = await docker(['info', '--format', '{{json .SecurityOptions}}']);
    assert.match(info.stdout, /name=userns/);
  });
});
