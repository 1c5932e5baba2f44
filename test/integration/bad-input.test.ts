import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readdir, rm, writeFile, mkdir, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadBusybox, mountsUnder, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const exec = promisify(execFile);

interface ApiReply {
  status: number;
  body: string;
}

function api(h: BerthdHarness, method: string, path: string, body?: string | Buffer, contentType = 'application/json'): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, method, path, headers: body !== undefined ? { 'Content-Type': contentType } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const messageOf = (r: ApiReply): string => (JSON.parse(r.body) as { message: string }).message;

describe('bad input gets Docker status codes and changes nothing', () => {
  let h: BerthdHarness;
  let work: string;

  before(async () => {
    h = await startBerthd('badinput');
    await loadBusybox(h);
    work = await mkdtemp('/dev/shm/berth-bad-');
  });
  after(async () => {
    await h?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function snapshot(): Promise<string> {
    const containers = (await api(h, 'GET', '/containers/json?all=1')).body;
    const images = (await api(h, 'GET', '/images/json?all=1')).body;
    const dirs = await readdir(`${h.dataRoot}/containers`).catch(() => []);
    const tmp = await readdir(`${h.dataRoot}/tmp`).catch(() => []);
    const blobs = await readdir(`${h.dataRoot}/content/blobs/sha256`).catch(() => []);
    const snaps = await readdir(`${h.dataRoot}/snapshots`).catch(() => []);
    const mounts = await mountsUnder(h.root);
    return JSON.stringify({ containers, images, dirs, tmp, blobs: blobs.sort(), snaps: snaps.sort(), mounts: mounts.length });
  }

  test('malformed JSON on create is a 400 and creates nothing', async () => {
    const before = await snapshot();
    const r = await api(h, 'POST', '/containers/create', '{"Image": "busybox", ');
    assert.equal(r.status, 400);
    assert.match(messageOf(r), /invalid JSON/i);
    assert.equal(await snapshot(), before);
  });

  test('unknown container is a 404 with Docker message', async () => {
    const r = await api(h, 'GET', '/containers/nope/json');
    assert.equal(r.status, 404);
    assert.equal(messageOf(r), 'No such container: nope');
    assert.equal((await api(h, 'POST', '/containers/nope/start')).status, 404);
    assert.equal((await api(h, 'DELETE', '/containers/nope')).status, 404);
  });

  test('unknown image on create is a 404 and creates nothing', async () => {
    const before = await snapshot();
    const r = await api(h, 'POST', '/containers/create', JSON.stringify({ Image: 'nope:latest', Cmd: ['true'] }));
    assert.equal(r.status, 404);
    assert.equal(messageOf(r), 'No such image: nope:latest');
    assert.equal(await snapshot(), before);
  });

  test('invalid container name is a 400 and creates nothing', async () => {
    const before = await snapshot();
    const r = await api(h, 'POST', '/containers/create?name=bad%20name', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }));
    assert.equal(r.status, 400);
    assert.match(messageOf(r), /Invalid container name \(bad name\)/);
    assert.equal(await snapshot(), before);
  });

  test('name conflict is a 409 and creates nothing more', async () => {
    const first = await api(h, 'POST', '/containers/create?name=taken', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }));
    assert.equal(first.status, 201);
    const before = await snapshot();
    const r = await api(h, 'POST', '/containers/create?name=taken', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }));
    assert.equal(r.status, 409);
    assert.match(messageOf(r), /Conflict\. The container name "\/taken" is already in use/);
    assert.equal(await snapshot(), before);
    assert.equal((await api(h, 'DELETE', '/containers/taken')).status, 204);
  });

  test('an invalid reference is a 400', async () => {
    const tag = await api(h, 'POST', '/images/busybox/tag?repo=UPPER&tag=x');
    assert.equal(tag.status, 400);
    assert.match(messageOf(tag), /invalid reference format/);
    const cli = await runCli('docker', ['run', '--rm', 'Busybox', 'true'], { env: h.env });
    assert.equal(cli.code, 125);
    assert.match(cli.stderr, /invalid reference format/);
  });

  test('a truncated image archive is a 400 and leaves nothing behind', async () => {
    const before = await snapshot();
    const full = (await exec('bash', ['-c', `${process.cwd()}/scripts/images/busybox.sh | head -c 300000 | base64 -w0`], { maxBuffer: 64 << 20 })).stdout;
    const r = await api(h, 'POST', '/images/load', Buffer.from(full, 'base64'), 'application/x-tar');
    assert.ok(r.status === 400 || /error/.test(r.body), `status ${r.status} body ${r.body}`);
    assert.equal(await snapshot(), before);
  });

  test('a corrupt tarball on import is refused and leaves nothing behind', async () => {
    const before = await snapshot();
    const r = await api(h, 'POST', '/images/create?fromSrc=-&repo=corrupt', Buffer.from('garbage'.repeat(1000)), 'application/x-tar');
    assert.ok(r.status === 400 || /error/.test(r.body), `status ${r.status} body ${r.body}`);
    assert.equal(await snapshot(), before);
  });

  test('a layer that escapes through .. or a symlink is refused and writes nothing outside', async () => {
    const outside = `${work}/outside`;
    await mkdir(outside, { recursive: true });
    // Layer 1: a symlink pointing out of the root; then a file written "through" it and a ../ entry.
    const layerDir = `${work}/layer`;
    await mkdir(layerDir, { recursive: true });
    await exec('ln', ['-s', outside, `${layerDir}/evil`]);
    await exec('tar', ['-C', layerDir, '-cf', `${work}/l1.tar`, 'evil']);
    await writeFile(`${work}/payload`, 'pwned\n');
    await exec('tar', ['-C', work, '--transform', 's|^payload$|evil/pwned|', '-cf', `${work}/l2.tar`, 'payload']);
    await exec('tar', ['-C', work, '--transform', 's|^payload$|../../../../../../../..' + outside + '/dotdot|', '-P', '-cf', `${work}/l3.tar`, 'payload']);
    await exec('bash', ['-c', `cat ${work}/l1.tar > /dev/null`]);
    for (const layer of ['l2.tar', 'l3.tar']) {
      const tarball = `${work}/import-${layer}`;
      await exec('bash', ['-c', `cat ${work}/l1.tar > ${tarball}.a`]);
      // An import of a single-layer rootfs with the escaping entries after the symlink.
      await exec('bash', ['-c', `cd ${work} && tar -A -f ${tarball}.a ${layer} && mv ${tarball}.a ${tarball}`]);
      const before = await snapshot();
      const body = await import('node:fs/promises').then((fs) => fs.readFile(tarball));
      const r = await api(h, 'POST', '/images/create?fromSrc=-&repo=evil', body, 'application/x-tar');
      // Docker neutralises such entries or refuses the layer; either way nothing lands outside.
      assert.deepEqual(await readdir(outside), [], `${layer}: status ${r.status} ${r.body}`);
      if (r.status !== 200 || /error/.test(r.body)) assert.equal(await snapshot(), before);
    }
    await stat(outside);
  });
});
