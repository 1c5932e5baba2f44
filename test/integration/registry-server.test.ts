import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { runCli } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

// The distribution API of `berth registry serve` spoken to directly, bad input included.
describe('berth registry serve', () => {
  let reg: TestRegistry;
  let base: string;
  const errorCode = async (res: Response): Promise<string | undefined> => ((await res.json()) as { errors?: { code: string }[] }).errors?.[0]?.code;

  before(async () => {
    reg = await startRegistry('server');
    base = `http://127.0.0.1:${reg.port}`;
  });
  after(async () => {
    await reg?.stop();
  });

  test('/v2/ answers with the API version header', async () => {
    const res = await fetch(`${base}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  });

  test('chunked upload, then HEAD and GET of the blob', async () => {
    const data = Buffer.from('hello chunked world');
    const start = await fetch(`${base}/v2/t/chunked/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const loc = start.headers.get('location') ?? '';
    const p1 = await fetch(base + loc, { method: 'PATCH', body: data.subarray(0, 5), headers: { 'Content-Range': '0-4' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), '0-4');
    const bad = await fetch(base + loc, { method: 'PATCH', body: data.subarray(5), headers: { 'Content-Range': '3-9' } });
    assert.equal(bad.status, 416);
    const p2 = await fetch(base + loc, { method: 'PATCH', body: data.subarray(5), headers: { 'Content-Range': `5-${data.length - 1}` } });
    assert.equal(p2.status, 202);
    const put = await fetch(`${base}${loc}?digest=${sha(data)}`, { method: 'PUT' });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('docker-content-digest'), sha(data));
    const head = await fetch(`${base}/v2/t/chunked/blobs/${sha(data)}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    assert.equal(await (await fetch(`${base}/v2/t/chunked/blobs/${sha(data)}`)).text(), data.toString());
  });

  test('an upload with the wrong digest is rejected and leaves no blob', async () => {
    const data = Buffer.from('tampered');
    const res = await fetch(`${base}/v2/t/bad/blobs/uploads/?digest=${sha('something else')}`, { method: 'POST', body: data });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
    const blobs = await readdir(`${reg.dir}/storage/blobs/sha256`);
    assert.ok(!blobs.includes(sha(data).slice(7)) && !blobs.includes(sha('something else').slice(7)));
    assert.deepEqual(await readdir(`${reg.dir}/storage/uploads`), []);
  });

  test('a manifest too large is refused with its error while the client is still sending it', async () => {
    // like the docker CLI (Go), this client goes on sending the whole body after the reply came
    const size = 32 << 20;
    const socket = connect(reg.port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('latin1').on('data', (s: string) => (reply += s));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()).on('error', () => undefined));
    socket.write(`PUT /v2/t/huge/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, ' ');
    let writeFailed = false;
    for (let sent = 0; sent < size && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise<void>((resolve) => socket.once('drain', resolve).once('close', resolve));
    }
    writeFailed = socket.destroyed;
    const deadline = Date.now() + 10_000;
    while (!reply.includes('MANIFEST_INVALID') && !socket.destroyed && Date.now() < deadline) await new Promise((d) => setTimeout(d, 20));
    socket.destroy();
    await closed;
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /MANIFEST_INVALID/);
    assert.equal(writeFailed, false, 'the server read the whole body instead of cutting the connection');
  });

  test('a blob of another repository is unknown until mounted', async () => {
    const data = Buffer.from('mount me');
    assert.equal((await fetch(`${base}/v2/t/a/blobs/uploads/?digest=${sha(data)}`, { method: 'POST', body: data })).status, 201);
    const missing = await fetch(`${base}/v2/t/b/blobs/${sha(data)}`);
    assert.equal(missing.status, 404);
    assert.equal(await errorCode(missing), 'BLOB_UNKNOWN');
    const mount = await fetch(`${base}/v2/t/b/blobs/uploads/?mount=${sha(data)}&from=t/a`, { method: 'POST' });
    assert.equal(mount.status, 201);
    assert.equal((await fetch(`${base}/v2/t/b/blobs/${sha(data)}`, { method: 'HEAD' })).status, 200);
  });

  test('manifests: blobs must exist, digests must match, content type is kept, tags and catalog list them', async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await fetch(`${base}/v2/t/m/blobs/uploads/?digest=${sha(config)}`, { method: 'POST', body: config });
    const type = 'application/vnd.oci.image.manifest.v1+json';
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: type, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length }, layers: [] }));
    const dangling = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: type, config: { mediaType: 'x', digest: sha('nothing'), size: 7 }, layers: [] }));
    const r1 = await fetch(`${base}/v2/t/m/manifests/v1`, { method: 'PUT', body: dangling, headers: { 'Content-Type': type } });
    assert.equal(r1.status, 400);
    assert.equal(await errorCode(r1), 'MANIFEST_BLOB_UNKNOWN');
    const r2 = await fetch(`${base}/v2/t/m/manifests/${sha('other')}`, { method: 'PUT', body: manifest, headers: { 'Content-Type': type } });
    assert.equal(r2.status, 400);
    assert.equal(await errorCode(r2), 'DIGEST_INVALID');
    const r3 = await fetch(`${base}/v2/t/m/manifests/v1`, { method: 'PUT', body: manifest, headers: { 'Content-Type': type } });
    assert.equal(r3.status, 201);
    assert.equal(r3.headers.get('docker-content-digest'), sha(manifest));
    const get = await fetch(`${base}/v2/t/m/manifests/v1`);
    assert.equal(get.headers.get('content-type'), type);
    assert.equal(get.headers.get('docker-content-digest'), sha(manifest));
    assert.deepEqual(await get.json(), JSON.parse(manifest.toString()));
    assert.deepEqual(await (await fetch(`${base}/v2/t/m/tags/list`)).json(), { name: 't/m', tags: ['v1'] });
    assert.ok(((await (await fetch(`${base}/v2/_catalog`)).json()) as { repositories: string[] }).repositories.includes('t/m'));
    const del = await fetch(`${base}/v2/t/m/manifests/${sha(manifest)}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    const gone = await fetch(`${base}/v2/t/m/manifests/v1`);
    assert.equal(gone.status, 404);
    assert.equal(await errorCode(gone), 'MANIFEST_UNKNOWN');
  });

  test('names with traversal or capitals are rejected', async () => {
    for (const path of ['/v2/a/%2E%2E/b/manifests/latest', '/v2/UPPER/manifests/latest', '/v2/a/manifests/..%2Fx']) {
      const res = await fetch(base + path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
    }
  });

  test('gc removes only blobs no manifest references', async () => {
    const config = Buffer.from('{"gc":"kept"}');
    const layer = Buffer.from('gc layer kept');
    const orphan = Buffer.from('gc orphan');
    for (const b of [config, layer, orphan]) await fetch(`${base}/v2/t/gc/blobs/uploads/?digest=${sha(b)}`, { method: 'POST', body: b });
    const type = 'application/vnd.oci.image.manifest.v1+json';
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: type, config: { mediaType: 'x', digest: sha(config), size: config.length }, layers: [{ mediaType: 'y', digest: sha(layer), size: layer.length }] }));
    assert.equal((await fetch(`${base}/v2/t/gc/manifests/keep`, { method: 'PUT', body: manifest, headers: { 'Content-Type': type } })).status, 201);
    const dry = await runCli('berth', ['registry', 'gc', '--dry-run', '--storage', `${reg.dir}/storage`], { env: process.env });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`blob eligible for deletion: ${sha(orphan)}`));
    assert.doesNotMatch(dry.stdout, new RegExp(`${sha(layer)}|${sha(config)}|${sha(manifest)}`));
    assert.equal((await fetch(`${base}/v2/t/gc/blobs/${sha(orphan)}`, { method: 'HEAD' })).status, 200, 'a dry run deletes nothing');
    const real = await runCli('berth', ['registry', 'gc', '--storage', `${reg.dir}/storage`], { env: process.env });
    assert.equal(real.code, 0, real.stderr);
    assert.equal((await fetch(`${base}/v2/t/gc/blobs/${sha(orphan)}`, { method: 'HEAD' })).status, 404);
    assert.equal((await fetch(`${base}/v2/t/gc/blobs/${sha(layer)}`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${base}/v2/t/gc/manifests/keep`)).status, 200);
  });

  test('search answers Docker Hub\'s shape', async () => {
    const body = (await (await fetch(`${base}/v1/search?q=t/&n=1`)).json()) as { num_results: number; num_pages: number; results: { name: string }[]; page_size: number };
    assert.equal(body.page_size, 1);
    assert.deepEqual(body.results.map((r) => r.name), ['t/gc']);
    assert.equal(body.num_results, 2);
    assert.equal(body.num_pages, 2);
    const page2 = (await (await fetch(`${base}/v1/search?q=t/&n=1&page=2`)).json()) as { results: { name: string }[] };
    assert.deepEqual(page2.results.map((r) => r.name), ['t/m']);
  });
});
