import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { DOCKERD, startReferenceDockerd, type ReferenceDockerd } from '../helpers/reference-dockerd.js';
import { startRegistry, type TestRegistry } from './registry-helper.js';

const exec = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

// Debian's docker.io engine (dockerd 20.10, a Go client of its own) against `berth registry serve`,
// handing images to and from berthd through it.
describe('reference dockerd pushes to and pulls from berth registry', { skip: DOCKERD ? false : 'dockerd not installed (apt-get install docker.io): interop with Docker\'s engine not checked' }, () => {
  let reg: TestRegistry;
  let h: BerthdHarness;
  let ref: ReferenceDockerd;
  before(async () => {
    reg = await startRegistry('interop-dockerd');
    h = await startBerthd('reg-interop', { bridge: 'none' });
    ref = await startReferenceDockerd();
    await loadBusybox(h);
  });
  after(async () => {
    await ref?.stop();
    await h?.stop();
    await reg?.stop();
  });

  test('berthd push → dockerd pull → dockerd push → berthd pull, same image id throughout', async () => {
    const first = `${reg.host}/interop/from-berth:1`;
    const second = `${reg.host}/interop/from-docker:1`;
    assert.equal((await runCli('berth', ['tag', 'busybox', first], { env: h.env })).code, 0);
    const push = await runCli('berth', ['push', first], { env: h.env, timeoutMs: 120_000 });
    assert.equal(push.code, 0, push.stderr);
    const id = (await runCli('docker', ['image', 'inspect', '-f', '{{.Id}}', 'busybox'], { env: h.env })).stdout.trim();

    const pull = await runCli('docker', ['pull', first], { env: ref.env, timeoutMs: 120_000 });
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /Status: Downloaded newer image/);
    assert.equal((await runCli('docker', ['image', 'inspect', '-f', '{{.Id}}', first], { env: ref.env })).stdout.trim(), id);
    const run = await runCli('docker', ['run', '--rm', '--network', 'none', first, 'echo', 'hello from dockerd'], { env: ref.env, timeoutMs: 60_000 });
    assert.equal(run.stdout.trim(), 'hello from dockerd', run.stderr);

    assert.equal((await runCli('docker', ['tag', first, second], { env: ref.env })).code, 0);
    const push2 = await runCli('docker', ['push', second], { env: ref.env, timeoutMs: 120_000 });
    assert.equal(push2.code, 0, push2.stderr);
    assert.match(push2.stdout, /1: digest: sha256:[a-f0-9]{64} size: \d+/);

    const pull2 = await runCli('berth', ['pull', second], { env: h.env, timeoutMs: 120_000 });
    assert.equal(pull2.code, 0, pull2.stderr);
    assert.equal((await runCli('docker', ['image', 'inspect', '-f', '{{.Id}}', second], { env: h.env })).stdout.trim(), id);
  });
});

// A two-platform OCI index made by hand, copied with `skopeo copy --all` into berth registry and back out.
describe('skopeo copies a multi-platform index through berth registry', { skip: existsSync(SKOPEO) ? false : 'needs skopeo' }, () => {
  let reg: TestRegistry;
  let layout: string;
  let platforms: string[];
  before(async () => {
    reg = await startRegistry('interop-skopeo');
    layout = `${reg.dir}/in`;
    await mkdir(`${layout}/blobs/sha256`, { recursive: true });
    const blob = async (bytes: Buffer, mediaType: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> => {
      await writeFile(`${layout}/blobs/sha256/${sha(bytes)}`, bytes);
      return { mediaType, digest: `sha256:${sha(bytes)}`, size: bytes.length, ...extra };
    };
    const manifests = [];
    platforms = ['amd64', 'arm64'];
    for (const arch of platforms) {
      await writeFile(`${reg.dir}/hello.txt`, `hello ${arch}\n`);
      const tar = (await exec('bash', ['-c', `tar -C ${reg.dir} -cf - hello.txt | gzip -n | base64 -w0`])).stdout;
      const layer = await blob(Buffer.from(tar, 'base64'), 'application/vnd.oci.image.layer.v1.tar+gzip');
      const rawTar = (await exec('bash', ['-c', `tar -C ${reg.dir} -cf - hello.txt | sha256sum`])).stdout.slice(0, 64);
      const config = await blob(Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${rawTar}`] } })), 'application/vnd.oci.image.config.v1+json');
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer] }));
      manifests.push(await blob(manifest, 'application/vnd.oci.image.manifest.v1+json', { platform: { architecture: arch, os: 'linux' } }));
    }
    const index = await blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })), 'application/vnd.oci.image.index.v1+json', {
      annotations: { 'org.opencontainers.image.ref.name': 'multi' },
    });
    await writeFile(`${layout}/oci-layout`, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(`${layout}/index.json`, JSON.stringify({ schemaVersion: 2, manifests: [index] }));
  });
  after(async () => {
    await reg?.stop();
  });

  const skopeo = async (args: string[]): Promise<string> => {
    try {
      const r = await exec(SKOPEO, ['--insecure-policy', ...args], { timeout: 120_000 });
      return r.stdout;
    } catch (err) {
      assert.fail(`skopeo ${args.join(' ')}: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  };

  test('oci: → docker:// keeps the index and both platforms; docker:// → oci: restores them', async () => {
    await skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${reg.host}/sk/multi:v1`]);
    const res = await fetch(`http://${reg.host}/v2/sk/multi/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
    const index = (await res.json()) as { manifests: { platform: { architecture: string } }[] };
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture), platforms);
    const raw = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/sk/multi:v1`])) as { manifests: unknown[] };
    assert.equal(raw.manifests.length, 2);
    const arm = JSON.parse(await skopeo(['inspect', '--override-arch', 'arm64', '--tls-verify=false', `docker://${reg.host}/sk/multi:v1`])) as { Architecture: string };
    assert.equal(arm.Architecture, 'arm64');

    await skopeo(['copy', '--all', '--src-tls-verify=false', `docker://${reg.host}/sk/multi:v1`, `oci:${reg.dir}/out:multi`]);
    const outIndex = JSON.parse(await readFile(`${reg.dir}/out/index.json`, 'utf8')) as { manifests: { digest: string }[] };
    const inner = JSON.parse(await readFile(`${reg.dir}/out/blobs/sha256/${outIndex.manifests[0]?.digest.slice(7)}`, 'utf8')) as { manifests: { platform: { architecture: string } }[] };
    assert.deepEqual(inner.manifests.map((m) => m.platform.architecture), platforms);
  });
});
