// Every `docker cp` into a container sends PUT /containers/{id}/archive with noOverwriteDirNonDir=true (the docker CLI always does).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chown, chmod, lstat, mkdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function api(h: BerthdHarness, method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A one-entry ustar archive, written by hand so names and types can be anything. */
function tarOf(entries: { name: string; type?: string; body?: string; linkname?: string; mode?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    const data = Buffer.from(e.body ?? '');
    h.write(e.name, 0, 100);
    h.write(((e.mode ?? 0o644).toString(8).padStart(7, '0')) + '\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write(Math.floor(Date.now() / 1000).toString(8).padStart(11, '0') + '\0', 136);
    h.write(e.type ?? '0', 156);
    if (e.linkname) h.write(e.linkname, 157, 100);
    if (e.type === '3') {
      h.write('0000001\0', 329);
      h.write('0000003\0', 337);
    }
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.fill(' ', 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

for (const cli of ['docker', 'berth'] as const) {
  describe(`cp via ${cli}`, () => {
    let h: BerthdHarness;
    let work: string;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000, cwd: work });
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      h = await startBerthd(`cp-${cli}`);
      await loadBusybox(h);
      work = `${h.root}/work`;
      await mkdir(work, { recursive: true });
      await ok(['run', '-d', '--name', 'live', '-v', 'cpvol:/vol', '--tmpfs', '/scratch', 'busybox', 'sleep', '600']);
      await ok(['create', '--name', 'idle', 'busybox', 'true']);
    });
    after(async () => {
      await h?.stop();
    });

    test('a directory tree goes in and comes back with modes; -a keeps owners', async () => {
      const tree = `${work}/tree`;
      await mkdir(`${tree}/sub`, { recursive: true });
      await writeFile(`${tree}/sub/f`, 'content\n');
      await chmod(`${tree}/sub/f`, 0o640);
      await chown(`${tree}/sub/f`, 1234, 5678);
      await chmod(`${tree}/sub`, 0o750);
      await symlink('sub/f', `${tree}/rel-link`);
      for (const c of ['live', 'idle']) {
        await ok(['cp', '-a', 'tree', `${c}:/tmp/`]);
        await ok(['cp', 'tree', `${c}:/tmp/plain`]);
        await rm(`${work}/back-${c}`, { recursive: true, force: true });
        await ok(['cp', `${c}:/tmp/tree`, `back-${c}`]);
        assert.equal(await readFile(`${work}/back-${c}/sub/f`, 'utf8'), 'content\n');
        assert.equal((await lstat(`${work}/back-${c}/sub/f`)).mode & 0o7777, 0o640);
        assert.equal((await lstat(`${work}/back-${c}/sub`)).mode & 0o7777, 0o750);
        assert.equal(await readlink(`${work}/back-${c}/rel-link`), 'sub/f');
      }
      assert.equal(await ok(['exec', 'live', 'stat', '-c', '%u:%g %a', '/tmp/tree/sub/f', '/tmp/plain/sub/f']), '1234:5678 640\n0:0 640\n');
      await ok(['start', '-a', 'idle']);
      const listing = await run(['cp', 'idle:/tmp/tree/sub/f', '-']);
      assert.equal(listing.code, 0, listing.stderr);
      assert.match(listing.stdout, /^f\0/, 'a tar whose entry is named after the file');
      assert.match(listing.stdout, /content/);
    });

    test('path rules: file to new name, trailing /., into a volume, stdout tar', async () => {
      await ok(['cp', 'live:/etc/passwd', 'pw']);
      assert.match(await readFile(`${work}/pw`, 'utf8'), /^root:x:0:0/);
      await rm(`${work}/etc-contents`, { recursive: true, force: true });
      await ok(['cp', 'live:/etc/.', 'etc-contents']);
      assert.equal(existsSync(`${work}/etc-contents/passwd`), true);
      assert.equal(existsSync(`${work}/etc-contents/etc`), false);
      await writeFile(`${work}/to-vol`, 'in the volume\n');
      await ok(['cp', 'to-vol', 'live:/vol/']);
      assert.equal(await readFile(`${h.dataRoot}/volumes/cpvol/_data/to-vol`, 'utf8'), 'in the volume\n');
      // a running container is seen through its own mount namespace: tmpfs mounts included
      await ok(['exec', 'live', 'sh', '-c', 'echo in-tmpfs > /scratch/t']);
      await ok(['cp', 'live:/scratch/t', 'from-tmpfs']);
      assert.equal(await readFile(`${work}/from-tmpfs`, 'utf8'), 'in-tmpfs\n');
      const missing = await run(['cp', 'live:/no/such', 'x']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /Could not find the file \/no\/such in container live|No such container:path: live:\/no\/such/);
    });

    test('symlinks in the container never lead to host files, in either direction', async () => {
      await ok(['exec', 'live', 'sh', '-c', 'ln -s ../../../../../../../../ /tmp/up; ln -s /etc /tmp/abs; echo c > /tmp/marker']);
      const hostFile = `/tmp/berth-cp-escape-${cli}-${process.pid}`;
      await writeFile(`${work}/escape`, 'x');
      await ok(['cp', 'escape', `live:/tmp/up${hostFile}`]).catch(() => '');
      await ok(['cp', 'escape', `live:/tmp/abs/`]);
      assert.equal(existsSync(hostFile), false, 'nothing written on the host');
      assert.equal(await ok(['exec', 'live', 'cat', '/etc/escape']), 'x');
      await ok(['cp', 'live:/tmp/up/etc/hostname', 'hn']);
      const containerHostname = (await ok(['exec', 'live', 'hostname'])).trim();
      assert.equal((await readFile(`${work}/hn`, 'utf8')).trim(), containerHostname);
      await ok(['cp', '-L', 'live:/tmp/abs', 'followed']);
      assert.equal(existsSync(`${work}/followed/passwd`), true);
    });
  });
}

describe('PUT /containers/{id}/archive refuses hostile archives', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('cp-hostile');
    await loadBusybox(h);
    const r = await runCli('docker', ['create', '--name', 'target', 'busybox', 'true'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await h?.stop();
  });

  test('.. escapes, device files and absolute names', async () => {
    const dotdot = await api(h, 'PUT', '/containers/target/archive?path=/tmp', tarOf([{ name: '../../../../../../tmp/berth-hostile-dotdot', body: 'x' }]));
    assert.equal(dotdot.status, 400);
    assert.match(dotdot.body.toString(), /is outside of/);
    assert.equal(existsSync('/tmp/berth-hostile-dotdot'), false);
    const dev = await api(h, 'PUT', '/containers/target/archive?path=/tmp', tarOf([{ name: 'mem', type: '3' }]));
    assert.equal(dev.status, 400);
    assert.match(dev.body.toString(), /device file/);
    const abs = await api(h, 'PUT', '/containers/target/archive?path=/tmp', tarOf([{ name: '/tmp/berth-hostile-abs', body: 'abs' }]));
    assert.equal(abs.status, 200, abs.body.toString());
    assert.equal(existsSync('/tmp/berth-hostile-abs'), false, 'an absolute name lands inside the target');
    const got = await api(h, 'GET', '/containers/target/archive?path=/tmp/tmp/berth-hostile-abs');
    assert.equal(got.status, 200);
    const stat = JSON.parse(Buffer.from(String(got.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
    assert.equal(stat['name'], 'berth-hostile-abs');
    assert.equal(stat['size'], 3);
    const head = await api(h, 'HEAD', '/containers/target/archive?path=/nope');
    assert.equal(head.status, 404);
    const notDir = await api(h, 'PUT', '/containers/target/archive?path=/etc/passwd', tarOf([{ name: 'x', body: 'x' }]));
    assert.equal(notDir.status, 400);
    assert.match(notDir.body.toString(), /extraction point is not a directory/);
  });

  test('a symlink inside the archive cannot redirect later entries to the host', async () => {
    const evil = tarOf([
      { name: 'ln', type: '2', linkname: '/tmp' },
      { name: 'ln/berth-hostile-link', body: 'via link' },
    ]);
    const r = await api(h, 'PUT', '/containers/target/archive?path=/', evil);
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(existsSync('/tmp/berth-hostile-link'), false);
    const got = await api(h, 'HEAD', '/containers/target/archive?path=/tmp/berth-hostile-link');
    assert.equal(got.status, 200, 'the entry landed in the container /tmp');
  });
});
