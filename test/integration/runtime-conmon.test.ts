import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, copyFile, mkdir, readFile, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConmonRuntime } from '../../src/runtime/conmon-runtime.js';
import type { AttachConnection } from '../../src/runtime/container-runtime.js';
import { readExitCode, watchExitDir } from '../../src/runtime/exit-files.js';
import { readHostLimits, type HostLimits } from '../../src/runtime/host-limits.js';
import { parseLogLine } from '../../src/runtime/log-line.js';
import { buildOciSpec, type OciSpecInput } from '../../src/engine/containers/oci-spec.js';
import { resolveUser } from '../../src/engine/containers/user.js';

/*
 * End to end: busybox rootfs → buildOciSpec → conmon + runc. Needs root,
 * runc, conmon, tini and /bin/busybox (static). Everything lives under
 * /tmp/berth-runtime-test/it-<pid> with ids `berthrt-…`, removed afterwards.
 */

const runcPath = '/usr/sbin/runc';
const conmonPath = '/usr/bin/conmon';
const tiniPath = '/usr/bin/tini-static';
const busybox = '/bin/busybox';
const base = `/tmp/berth-runtime-test/it-${process.pid}`;
const rootfs = join(base, 'rootfs');
const exitDir = join(base, 'exits');
const runtimeRoot = join(base, 'runc');
const cgroupParent = `/berthrt-it-${process.pid}`;
const applets = ['sh', 'echo', 'sleep', 'date', 'cat', 'true', 'id', 'stty', 'env', 'ls', 'read'];

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

async function prerequisites(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const p of [runcPath, conmonPath, busybox]) if (!(await exists(p))) return `missing ${p}`;
  return undefined;
}
const skip = await prerequisites();
const initPath = (await exists(tiniPath)) ? tiniPath : '/usr/bin/tini';

const runtime = new ConmonRuntime({ name: 'runc', runtimePath: runcPath, runtimeRoot, conmonPath });
let hostLimits: HostLimits;
const created: string[] = [];

async function bundleFor(name: string, input: Partial<OciSpecInput> & { args: string[] }, user = ''): Promise<{ id: string; bundleDir: string; logPath: string }> {
  const id = `berthrt-${name}-${process.pid}`;
  const bundleDir = join(base, 'bundles', id);
  await rm(bundleDir, { recursive: true, force: true });
  await mkdir(bundleDir, { recursive: true });
  const spec = buildOciSpec({
    id,
    rootfsPath: rootfs,
    env: [],
    user: await resolveUser(rootfs, user),
    tty: false,
    hostname: name,
    networkNamespace: { type: 'new' },
    cgroupV2: await exists('/sys/fs/cgroup/cgroup.controllers'),
    cgroupParent,
    hostLimits,
    initPath,
    ...input,
  });
  await writeFile(join(bundleDir, 'config.json'), JSON.stringify(spec));
  created.push(id);
  return { id, bundleDir, logPath: join(bundleDir, 'ctr.log') };
}

async function createContainer(name: string, input: Partial<OciSpecInput> & { args: string[] }, opts: { terminal?: boolean; openStdin?: boolean; user?: string } = {}) {
  const b = await bundleFor(name, { ...input, tty: opts.terminal ?? false }, opts.user);
  const r = await runtime.create({ ...b, name, exitDir, terminal: opts.terminal ?? false, openStdin: opts.openStdin ?? false, stdinOnce: opts.openStdin ?? false });
  return { ...b, ...r };
}

async function waitExit(id: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const code = await readExitCode(exitDir, id);
    if (code !== undefined) return code;
    if (Date.now() > deadline) throw new Error(`no exit file for ${id}`);
    await sleep(10);
  }
}

function collectOutput(conn: AttachConnection): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  conn.onData((s, d) => (out[s] += d.toString()));
  return new Promise((resolve) => conn.onEnd(() => resolve(out)));
}

void describe('conmon runtime (runc)', { skip }, () => {
  before(async () => {
    hostLimits = await readHostLimits();
    await rm(base, { recursive: true, force: true });
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await mkdir(join(rootfs, 'etc'), { recursive: true });
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'sbin']) await mkdir(join(rootfs, d), { recursive: true });
    await copyFile(busybox, join(rootfs, 'bin/busybox'));
    for (const a of applets) await symlink('busybox', join(rootfs, 'bin', a));
    await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
    await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nwheel:x:10:root\nnogroup:x:65534:\n');
  });

  after(async () => {
    for (const id of created) await runtime.delete(id, { force: true }).catch(() => {});
    const left = await readdir(runtimeRoot).catch(() => []);
    assert.deepEqual(left, [], 'runc state left behind');
    for (const ctrl of await readdir('/sys/fs/cgroup').catch(() => [])) await rmdir(join('/sys/fs/cgroup', ctrl, cgroupParent)).catch(() => {});
    await rm(base, { recursive: true, force: true });
    await rmdir(dirname(base)).catch(() => {}); // only when no other run uses it
  });

  void it('streams stdout through attach and records exit 0', async () => {
    const c = await createContainer('echo', { args: ['echo', 'hello'] });
    assert.ok(c.pid > 0 && c.conmonPid > 0);
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    await runtime.start(c.id);
    assert.deepEqual(await output, { stdout: 'hello\n', stderr: '' });
    assert.equal(await waitExit(c.id), 0);
    conn.close();
  });

  void it('records a non-zero exit code and stderr', async () => {
    const c = await createContainer('exit3', { args: ['sh', '-c', 'echo oops >&2; exit 3'] });
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    await runtime.start(c.id);
    assert.deepEqual(await output, { stdout: '', stderr: 'oops\n' });
    assert.equal(await waitExit(c.id), 3);
    assert.equal((await readFile(join(c.bundleDir, 'exit'), 'utf8')).trim(), '3');
    conn.close();
  });

  void it('writes k8s-file log lines', async () => {
    const c = await createContainer('log', { args: ['sh', '-c', 'echo one; echo two >&2; printf three'] });
    await runtime.start(c.id);
    await waitExit(c.id);
    const lines = (await readFile(c.logPath, 'utf8')).split('\n').filter((l) => l !== '').map((l) => parseLogLine(l));
    const recs = lines.map((l) => (l ? `${l.stream} ${l.partial ? 'P' : 'F'} ${l.text}` : 'BAD'));
    assert.ok(recs.includes('stdout F one'), recs.join('|'));
    assert.ok(recs.includes('stderr F two'), recs.join('|'));
    assert.ok(recs.includes('stdout P three'), recs.join('|'));
    assert.ok(lines.every((l) => l !== undefined && l.timeNs > 0n));
  });

  void it('fails create with runc’s message for a missing executable', async () => {
    await assert.rejects(createContainer('nope', { args: ['nope'] }), (err: Error) => {
      assert.match(err.message, /exec: "nope": executable file not found in \$PATH/);
      return true;
    });
    await runtime.delete(`berthrt-nope-${process.pid}`, { force: true });
  });

  void it('reports state and deletes the runtime record', async () => {
    const c = await createContainer('state', { args: ['sleep', '100'] });
    assert.equal((await runtime.state(c.id))?.status, 'created');
    await runtime.start(c.id);
    const st = await runtime.state(c.id);
    assert.equal(st?.status, 'running');
    assert.equal(st?.pid, c.pid);
    await runtime.pause(c.id);
    assert.equal((await runtime.state(c.id))?.status, 'paused');
    await runtime.resume(c.id);
    await runtime.kill(c.id, 9);
    assert.equal(await waitExit(c.id), 137);
    assert.equal((await runtime.state(c.id))?.status, 'stopped');
    await runtime.kill(c.id, 9); // not running: no error
    await runtime.delete(c.id);
    assert.equal(await runtime.state(c.id), undefined);
    assert.equal(await exists(join(runtimeRoot, c.id)), false);
    await runtime.delete(c.id); // missing: no error
  });

  void it('delivers SIGTERM through docker-init', async () => {
    const c = await createContainer('term', { args: ['sleep', '100'], init: true });
    await runtime.start(c.id);
    await sleep(50);
    await runtime.kill(c.id, 15);
    assert.equal(await waitExit(c.id), 143);
  });

  void it('runs as the resolved user', async () => {
    const c = await createContainer('user', { args: ['id'] }, { user: 'nobody' });
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    await runtime.start(c.id);
    assert.match((await output).stdout, /^uid=65534\(nobody\) gid=65534\(nogroup\) groups=65534\(nogroup\)$/m);
    conn.close();
  });

  void it('allocates a TTY sized by the spec’s consoleSize', async () => {
    const c = await createContainer('tty', { args: ['stty', 'size'], consoleSize: { height: 30, width: 100 } }, { terminal: true });
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    await runtime.start(c.id);
    assert.equal((await output).stdout, '30 100\r\n');
    assert.equal(await waitExit(c.id), 0);
    conn.close();
  });

  void it('resizes a running TTY through conmon’s ctl fifo', async () => {
    const c = await createContainer('resize', { args: ['sh', '-c', 'sleep 0.5; stty size'] }, { terminal: true });
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    await runtime.start(c.id);
    await runtime.resize(c.bundleDir, 40, 120);
    assert.equal((await output).stdout, '40 120\r\n');
    assert.equal(await waitExit(c.id), 0);
    conn.close();
  });

  void it('keeps the container after the creating process exits; stdin through attach', async () => {
    const c = await bundleFor('survive', { args: ['sh', '-c', 'read x; echo got $x'] });
    const mod = new URL('../../src/runtime/conmon-runtime.js', import.meta.url).href;
    const script = `
      import { ConmonRuntime } from ${JSON.stringify(mod)};
      const rt = new ConmonRuntime(${JSON.stringify({ name: 'runc', runtimePath: runcPath, runtimeRoot, conmonPath })});
      const r = await rt.create(${JSON.stringify({ ...c, name: 'survive', exitDir, terminal: false, openStdin: true, stdinOnce: true })});
      await rt.start(${JSON.stringify(c.id)});
      console.log(JSON.stringify(r));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const { conmonPid } = JSON.parse(text) as { conmonPid: number };
    process.kill(conmonPid, 0); // conmon alive after its spawner is gone
    assert.equal((await runtime.state(c.id))?.status, 'running');
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    conn.writeStdin(Buffer.from('hi\n'));
    assert.equal((await output).stdout, 'got hi\n');
    assert.equal(await waitExit(c.id), 0);
    conn.close();
  });

  void it('half-closing the attach socket closes stdin (stdinOnce)', async () => {
    const c = await createContainer('stdin', { args: ['cat'] }, { openStdin: true });
    const conn = (await runtime.attach(c.bundleDir)) as AttachConnection & { closeStdin(): void };
    const output = collectOutput(conn);
    await runtime.start(c.id);
    conn.writeStdin(Buffer.alloc(20000, 'a'));
    conn.closeStdin();
    assert.equal((await output).stdout, 'a'.repeat(20000));
    assert.equal(await waitExit(c.id), 0);
    conn.close();
  });

  void it('passes large output through attach intact', async () => {
    const c = await createContainer('big', { args: ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done'] });
    const conn = await runtime.attach(c.bundleDir);
    const output = collectOutput(conn);
    await runtime.start(c.id);
    const lines = (await output).stdout.split('\n');
    assert.equal(lines.length, 20001);
    assert.equal(lines[19999], 'line19999');
    conn.close();
  });

  void it('refuses to attach to a container that is gone', async () => {
    await assert.rejects(runtime.attach(join(base, 'bundles', 'missing')), { code: 'conflict' });
  });

  void it('create → exit file latency for `true`', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const seen = new Promise<number>((resolve) => {
        const w = watchExitDir(exitDir, (id, code) => {
          if (id === `berthrt-true${i}-${process.pid}`) {
            w.close();
            resolve(code);
          }
        });
      });
      const c = await createContainer(`true${i}`, { args: ['true'] });
      await runtime.start(c.id);
      assert.equal(await seen, 0);
      times.push(performance.now() - t0);
      await runtime.delete(c.id);
    }
    times.sort((a, b) => a - b);
    console.log(`# create→exit file for true: median ${times[2]?.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms, max ${times[4]?.toFixed(1)} ms`);
  });
});
