import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExitCode, watchExitDir } from '../../src/runtime/exit-files.js';
import { parseProcLimits } from '../../src/runtime/host-limits.js';
import { formatLogLine, parseLogLine } from '../../src/runtime/log-line.js';
import { buildOciSpec, effectiveArgs, effectiveCapabilities, mergeConfigEnv, processEnv, type OciSpecInput } from '../../src/engine/containers/oci-spec.js';
import { resolveUser } from '../../src/engine/containers/user.js';

/* The runtime layer's pure parts and file formats; no root needed. */

const procLimits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             32768                32768                processes
Max open files            1024                 20000                files
`;

const baseInput: OciSpecInput = {
  id: 'c1',
  rootfsPath: 'rootfs',
  args: ['sh'],
  env: [],
  user: { uid: 0, gid: 0, additionalGids: [0] },
  tty: false,
  hostname: 'h1',
  networkNamespace: { type: 'new' },
  cgroupV2: false,
  hostLimits: parseProcLimits(procLimits),
};

void describe('host limits', () => {
  void it('parses /proc/self/limits with unlimited as Infinity', () => {
    const l = parseProcLimits(procLimits);
    assert.deepEqual(l.get('RLIMIT_NOFILE'), { soft: 1024, hard: 20000 });
    assert.deepEqual(l.get('RLIMIT_CPU'), { soft: Infinity, hard: Infinity });
    assert.deepEqual(l.get('RLIMIT_NPROC'), { soft: 32768, hard: 32768 });
  });
});

void describe('k8s-file log lines', () => {
  void it('parses full and partial lines', () => {
    const l = parseLogLine('2026-11-29T08:14:25.032680022+00:00 stdout F hello world');
    assert.deepEqual(l, { time: '2026-11-29T08:14:25.032680022+00:00', timeNs: 1795940065032680022n, stream: 'stdout', partial: false, text: 'hello world' });
    assert.equal(parseLogLine('2026-11-29T08:14:25.032680022+00:00 stderr P ')?.partial, true);
    assert.equal(parseLogLine('2026-11-29T08:14:25.032680022+00:00 stderr P ')?.text, '');
    assert.equal(parseLogLine('2026-11-29T10:14:25.5+02:00 stdout F x')?.timeNs, 1795940065500000000n);
  });
  void it('rejects malformed lines', () => {
    for (const bad of ['', 'garbage', '2026-11-29T08:14:25Z stdin F x', '2026-11-29T08:14:25Z stdout X x', 'notatime stdout F x']) {
      assert.equal(parseLogLine(bad), undefined, bad);
    }
  });
  void it('formats what it parses', () => {
    const line = '2026-11-29T08:14:25.000000001+00:00 stdout P a b ';
    const l = parseLogLine(line);
    assert.ok(l);
    assert.equal(formatLogLine(l), line);
  });
});

void describe('exit files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berthrt-exits-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  void it('reads a code, waits out an empty file, and reports missing as undefined', async () => {
    assert.equal(await readExitCode(dir, 'none'), undefined);
    await writeFile(join(dir, 'a'), '');
    setTimeout(() => void writeFile(join(dir, 'a'), '137'), 30);
    assert.equal(await readExitCode(dir, 'a'), 137);
  });
  void it('watches for new exit files and ignores glib temp names', async () => {
    const seen: string[] = [];
    const w = watchExitDir(dir, (id, code) => seen.push(`${id}=${code}`), { pollMs: 100 });
    await writeFile(join(dir, 'b.Ab12Cd'), '9');
    await writeFile(join(dir, 'b'), '3');
    await new Promise((r) => setTimeout(r, 250));
    w.close();
    assert.ok(seen.includes('a=137') && seen.includes('b=3'), seen.join(','));
    assert.equal(seen.filter((s) => s.startsWith('b')).length, 1);
  });
});

void describe('user resolution', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berthrt-user-'));
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'real'));
    await writeFile(join(root, 'real/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n# comment\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\nwheel:x:10:root,app\napp:x:1000:\nstaff:x:50:app\n');
    // An absolute symlink must resolve inside the rootfs, not to the host's /real.
    await symlink('/real/passwd', join(root, 'etc/passwd'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });
  void it('resolves the documented forms', async () => {
    assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [0, 10] });
    assert.deepEqual(await resolveUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50] });
    assert.deepEqual(await resolveUser(root, '1000'), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50] });
    assert.deepEqual(await resolveUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [0] });
    assert.deepEqual(await resolveUser(root, 'app:staff'), { uid: 1000, gid: 50, additionalGids: [50] });
    assert.deepEqual(await resolveUser(root, '7:8'), { uid: 7, gid: 8, additionalGids: [8] });
    assert.deepEqual(await resolveUser(root, 'app', { groupAdd: ['root', '99'] }), { uid: 1000, gid: 1000, additionalGids: [1000, 10, 50, 0, 99] });
  });
  void it('rejects unknown names with Docker’s messages', async () => {
    await assert.rejects(resolveUser(root, 'nope'), { message: 'unable to find user nope: no matching entries in passwd file' });
    await assert.rejects(resolveUser(root, 'app:nope'), { message: 'unable to find group nope: no matching entries in group file' });
  });
});

void describe('OCI spec', () => {
  void it('merges entrypoint and cmd like Docker', () => {
    const img = { Entrypoint: ['/entry'], Cmd: ['img-cmd'] };
    assert.deepEqual(effectiveArgs({}, img), ['/entry', 'img-cmd']);
    assert.deepEqual(effectiveArgs({ Cmd: ['x'] }, img), ['/entry', 'x']);
    assert.deepEqual(effectiveArgs({ Entrypoint: ['/e2'] }, img), ['/e2']);
    assert.deepEqual(effectiveArgs({ Entrypoint: [''], Cmd: ['echo'] }, img), ['echo']);
    assert.deepEqual(effectiveArgs({ Entrypoint: [''] }, img), ['img-cmd']);
    assert.deepEqual(effectiveArgs({}, {}), []);
  });
  void it('builds the process env with defaults, overrides and removals', () => {
    const cfg = mergeConfigEnv(['A=1', 'PATH=/x'], ['A=0', 'B=2']);
    assert.deepEqual(cfg, ['A=1', 'PATH=/x', 'B=2']);
    assert.deepEqual(processEnv(cfg, 'h', true), ['PATH=/x', 'HOSTNAME=h', 'TERM=xterm', 'A=1', 'B=2']);
    assert.deepEqual(processEnv(['TERM', 'C=3'], 'h', true), ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'C=3']);
  });
  void it('tweaks capabilities like moby', () => {
    assert.equal(effectiveCapabilities({}).length, 14);
    assert.ok(!effectiveCapabilities({ capDrop: ['chown'] }).includes('CAP_CHOWN'));
    assert.deepEqual(effectiveCapabilities({ capDrop: ['ALL'], capAdd: ['net_admin'] }), ['CAP_NET_ADMIN']);
    assert.throws(() => effectiveCapabilities({ capAdd: ['FOO'] }), { message: 'unknown capability: "CAP_FOO"' });
  });
  void it('applies Docker defaults', () => {
    const s = buildOciSpec({ ...baseInput, etcFiles: { hosts: '/h/hosts', hostname: '/h/hostname', resolvConf: '/h/resolv.conf' } });
    assert.deepEqual(s.process.capabilities?.bounding, s.process.capabilities?.effective);
    assert.equal(s.process.capabilities?.inheritable, undefined);
    assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 }]);
    assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
    assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    assert.deepEqual(s.mounts.find((m) => m.destination === '/etc/hosts')?.options, ['rbind', 'rprivate']);
    assert.equal(s.linux.maskedPaths?.length, 11);
    assert.equal(s.linux.cgroupsPath, '/berth/c1');
    assert.deepEqual(s.linux.resources?.devices?.[0], { allow: false, access: 'rwm' });
    assert.equal(s.hostname, 'h1');
    assert.equal(s.process.cwd, '/');
    assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h1']);
  });
  void it('handles init, host network, cgroup v2, non-root, read-only rootfs and privileged', () => {
    const s = buildOciSpec({ ...baseInput, init: true, initPath: '/usr/bin/tini', networkNamespace: { type: 'host' }, cgroupV2: true, user: { uid: 1000, gid: 1000, additionalGids: [1000] }, readonlyRootfs: true, etcFiles: { hosts: '/h/hosts' } });
    assert.deepEqual(s.process.args, ['/sbin/docker-init', '--', 'sh']);
    assert.deepEqual(s.mounts.find((m) => m.destination === '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini', options: ['rbind', 'ro', 'rprivate'] });
    assert.deepEqual(s.linux.namespaces.map((n) => n.type), ['mount', 'uts', 'pid', 'ipc', 'cgroup']);
    assert.deepEqual(s.process.capabilities?.effective, undefined);
    assert.equal(s.root.readonly, true);
    assert.ok(s.mounts.find((m) => m.destination === '/etc/hosts')?.options?.includes('ro'));
    const p = buildOciSpec({ ...baseInput, privileged: true, networkNamespace: { type: 'path', path: '/proc/1/ns/net' } });
    assert.equal(p.process.capabilities?.bounding?.length, 41);
    assert.equal(p.linux.maskedPaths, undefined);
    assert.deepEqual(p.linux.namespaces[1], { type: 'network', path: '/proc/1/ns/net' });
    assert.throws(() => buildOciSpec({ ...baseInput, ulimits: [{ name: 'nofile', soft: 1, hard: 30000 }] }), /exceeds the daemon's hard limit 20000/);
    assert.throws(() => buildOciSpec({ ...baseInput, args: [] }), { message: 'No command specified' });
  });
});
