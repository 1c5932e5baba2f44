import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * --device and --device-cgroup-rule as dockerd 20.10 does them (expectations
 * taken from the reference dockerd on this host: same command lines, same
 * raw bodies). dockerd checks both only at start: create is a 201, start a 500.
 */

const exec = promisify(execFile);

interface ApiReply {
  status: number;
  body: string;
}

function api(h: BerthdHarness, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: h.socket, method, path, headers: payload !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const messageOf = (r: ApiReply): string => (JSON.parse(r.body) as { message: string }).message;

describe('--device and --device-cgroup-rule', () => {
  let h: BerthdHarness;
  let work: string;

  before(async () => {
    h = await startBerthd('devices');
    await loadBusybox(h);
    work = await mkdtemp('/tmp/berth-devices-');
  });
  after(async () => {
    await h?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const run = (args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    runCli('docker', ['run', '--rm', ...args], { env: h.env });

  /** Creates a container from a raw body, then starts it: dockerd's answer to both steps. */
  async function createAndStart(name: string, hostConfig: Record<string, unknown>): Promise<{ create: ApiReply; start: ApiReply }> {
    await api(h, 'DELETE', `/containers/${name}?force=1`);
    const create = await api(h, 'POST', `/v1.41/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['true'], HostConfig: hostConfig });
    const start = await api(h, 'POST', `/v1.41/containers/${name}/start`);
    await api(h, 'DELETE', `/containers/${name}?force=1`);
    return { create, start };
  }

  test('a device node appears with its numbers and mode, and r only refuses a write', async () => {
    const r = await run(['--device', '/dev/loop-control:/dev/lc:r', 'busybox', 'sh', '-c',
      'ls -l /dev/lc; echo > /dev/lc; echo w=$?; dd if=/dev/lc of=/dev/null count=0 2>/dev/null; echo r=$?; grep 10:237 /sys/fs/cgroup/devices/devices.list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^crw-------\s+1 root\s+root\s+10,\s+237 .* \/dev\/lc$/m);
    assert.match(r.stdout, /^w=1$/m);
    assert.match(r.stderr, /can't create \/dev\/lc: Operation not permitted/);
    assert.match(r.stdout, /^r=0$/m);
    assert.match(r.stdout, /^c 10:237 r$/m);
  });

  test('the defaults stay as runc makes them: /dev/full is there and writable (ENOSPC)', async () => {
    const r = await run(['--device', '/dev/loop-control', 'busybox', 'sh', '-c', 'ls -l /dev/loop-control /dev/full; echo x > /dev/full']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /10,\s+237 .* \/dev\/loop-control/);
    assert.match(r.stderr, /No space left on device/);
  });

  test('a directory adds every device node under it, fifos and files aside', async () => {
    const dir = `${work}/devdir`;
    await mkdir(`${dir}/sub`, { recursive: true });
    await exec('mknod', ['-m', '644', `${dir}/null`, 'c', '1', '3']);
    await exec('mknod', ['-m', '600', `${dir}/sub/zero`, 'c', '1', '5']);
    await writeFile(`${dir}/plainfile`, '');
    const r = await run(['--device', `${dir}:/dev/dd`, 'busybox', 'sh', '-c', 'find /dev/dd | sort; ls -l /dev/dd/null /dev/dd/sub/zero']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').slice(0, 4), ['/dev/dd', '/dev/dd/null', '/dev/dd/sub', '/dev/dd/sub/zero']);
    assert.match(r.stdout, /^crw-r--r--\s+1 root\s+root\s+1,\s+3 .* \/dev\/dd\/null$/m);
    assert.match(r.stdout, /^crw-------\s+1 root\s+root\s+1,\s+5 .* \/dev\/dd\/sub\/zero$/m);
  });

  test('a missing host device: create succeeds, start is a 500 with dockerd\'s text', async () => {
    const { create, start } = await createAndStart('dev-missing', { Devices: [{ PathOnHost: '/dev/nonexist', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] });
    assert.equal(create.status, 201, create.body);
    assert.equal(start.status, 500);
    assert.equal(messageOf(start), 'error gathering device information while adding custom device "/dev/nonexist": no such file or directory');
    const cli = await run(['--device', '/dev/nonexist', 'busybox', 'true']);
    assert.equal(cli.code, 127);
    assert.match(cli.stderr, /Error response from daemon: error gathering device information while adding custom device "\/dev\/nonexist": no such file or directory/);
  });

  test('a path that is not a device node is a start-time 500', async () => {
    const { create, start } = await createAndStart('dev-file', { Devices: [{ PathOnHost: '/etc/passwd', PathInContainer: '/dev/x', CgroupPermissions: 'rwm' }] });
    assert.equal(create.status, 201, create.body);
    assert.equal(start.status, 500);
    assert.equal(messageOf(start), 'error gathering device information while adding custom device "/etc/passwd": not a device node');
  });

  test('bad permissions: the CLI refuses them, empty ones through the API fail in runc at start', async () => {
    const cli = await run(['--device', '/dev/null:/dev/x:rwz', 'busybox', 'true']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /bad mode specified: rwz/);
    const { create, start } = await createAndStart('dev-perm', { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: '' }] });
    assert.equal(create.status, 201, create.body);
    assert.equal(start.status, 500);
    assert.match(messageOf(start), /device access at 8 field cannot be empty/);
  });

  test('privileged gets every host device, and mappings to other paths', async () => {
    const r = await run(['--privileged', '--device', '/dev/null:/dev/xnull', 'busybox', 'sh', '-c', 'ls -l /dev/loop-control /dev/kmsg /dev/xnull']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /10,\s+237 .* \/dev\/loop-control/);
    assert.match(r.stdout, /1,\s+11 .* \/dev\/kmsg/);
    assert.match(r.stdout, /1,\s+3 .* \/dev\/xnull/);
  });

  test('inspect shows the mapping as the CLI sent it', async () => {
    await runCli('docker', ['rm', '-f', 'dev-inspect'], { env: h.env });
    const c = await runCli('docker', ['create', '--name', 'dev-inspect', '--device', '/dev/loop-control', '--device', '/dev/null:/dev/x:r',
      '--device-cgroup-rule', 'c 1:3 rwm', 'busybox'], { env: h.env });
    assert.equal(c.code, 0, c.stderr);
    const i = await runCli('docker', ['inspect', '-f', '{{json .HostConfig.Devices}} {{json .HostConfig.DeviceCgroupRules}}', 'dev-inspect'], { env: h.env });
    assert.equal(i.stdout.trim(), '[{"PathOnHost":"/dev/loop-control","PathInContainer":"/dev/loop-control","CgroupPermissions":"rwm"},'
      + '{"PathOnHost":"/dev/null","PathInContainer":"/dev/x","CgroupPermissions":"r"}] ["c 1:3 rwm"]');
  });

  test('--device-cgroup-rule lets mknod\'d nodes be used; others stay refused', async () => {
    const r = await run(['--device-cgroup-rule', 'c 1:3 rwm', 'busybox', 'sh', '-c',
      'mknod /tmp/n c 1 3 && echo hi > /tmp/n && echo n=ok; mknod /tmp/k c 1 11 && echo x > /tmp/k; echo k=$?']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^n=ok$/m);
    assert.match(r.stdout, /^k=1$/m);
    assert.match(r.stderr, /can't create \/tmp\/k: Operation not permitted/);
    const wild = await run(['--device-cgroup-rule', 'c 10:* rw', 'busybox', 'sh', '-c', 'grep "c 10:\\*" /sys/fs/cgroup/devices/devices.list']);
    assert.equal(wild.stdout.trim(), 'c 10:* rw');
  });

  test('an invalid cgroup rule: the CLI refuses it; through the API start is a 500', async () => {
    const cli = await run(['--device-cgroup-rule', 'c 1:3 rwz', 'busybox', 'true']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /invalid device cgroup format 'c 1:3 rwz'/);
    const { create, start } = await createAndStart('dev-rule', { DeviceCgroupRules: ['c 1:3 rwz'] });
    assert.equal(create.status, 201, create.body);
    assert.equal(start.status, 500);
    assert.equal(messageOf(start), "invalid device cgroup rule format: 'c 1:3 rwz'");
  });
});
