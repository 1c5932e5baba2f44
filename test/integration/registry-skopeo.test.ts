import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { busyboxTarball } from '../helpers/berthd-harness.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

const SKOPEO = '/usr/bin/skopeo';

function skopeo(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(SKOPEO, ['--insecure-policy', ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr });
    });
  });
}

// A second, independent client (containers/image, Go) against `berth registry serve`.
describe('skopeo copies into and out of berth registry', { skip: existsSync(SKOPEO) ? false : 'needs skopeo' }, () => {
  let reg: TestRegistry;
  let work: string;

  before(async () => {
    reg = await startRegistry('skopeo');
    work = `${reg.dir}/work`;
    await mkdir(work, { recursive: true });
    await busyboxTarball();
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    await reg?.stop();
  });

  test('docker-archive → docker:// (Docker v2 schema 2)', async () => {
    const r = await skopeo(['copy', '--dest-tls-verify=false', 'docker-archive:/tmp/berth-busybox.tar', `docker://${reg.host}/sk/busybox:v1`]);
    assert.equal(r.code, 0, r.out);
    const inspect = await skopeo(['inspect', '--tls-verify=false', `docker://${reg.host}/sk/busybox:v1`]);
    assert.equal(inspect.code, 0, inspect.out);
    assert.equal((JSON.parse(inspect.out) as { Name: string }).Name, `${reg.host}/sk/busybox`);
  });

  test('docker:// → oci: layout and back as an OCI manifest', async () => {
    const out = await skopeo(['copy', '--src-tls-verify=false', `docker://${reg.host}/sk/busybox:v1`, `oci:${work}/layout:v1`]);
    assert.equal(out.code, 0, out.out);
    const index = JSON.parse(await readFile(`${work}/layout/index.json`, 'utf8')) as { manifests: unknown[] };
    assert.equal(index.manifests.length, 1);
    const back = await skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/layout:v1`, `docker://${reg.host}/sk/oci:v1`]);
    assert.equal(back.code, 0, back.out);
    const res = await fetch(`http://127.0.0.1:${reg.port}/v2/sk/oci/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.manifest.v1+json');
  });

  test('tags list through skopeo', async () => {
    const r = await skopeo(['list-tags', '--tls-verify=false', `docker://${reg.host}/sk/busybox`]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual((JSON.parse(r.out) as { Tags: string[] }).Tags, ['v1']);
  });
});
