import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startRegistry, type TestRegistry } from './registry-helper.js';

// The OCI 1.1 referrers API and subject handling, spoken to `berth registry serve` directly over HTTP.
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('berth registry: referrers API', () => {
  let reg: TestRegistry;
  let base: string;
  const repo = 'art/app';
  const put = async (ref: string, manifest: unknown): Promise<Response> =>
    fetch(`${base}/${repo}/manifests/${ref}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body: JSON.stringify(manifest) });
  const blob = async (bytes: Buffer): Promise<{ mediaType: string; digest: string; size: number }> => {
    const r = await fetch(`${base}/${repo}/blobs/uploads/?digest=${sha(bytes)}`, { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
    assert.equal(r.status, 201);
    return { mediaType: EMPTY, digest: sha(bytes), size: bytes.length };
  };
  let subject: { mediaType: string; digest: string; size: number };
  let sbom: string;
  let sig: string;

  before(async () => {
    reg = await startRegistry('referrers');
    base = `http://${reg.host}/v2`;
    const empty = await blob(Buffer.from('{}'));
    const layer = await blob(Buffer.from('layer data'));
    const image = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: empty, layers: [{ ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar' }] };
    const r = await put('v1', image);
    assert.equal(r.status, 201);
    subject = { mediaType: OCI_MANIFEST, digest: r.headers.get('docker-content-digest') ?? '', size: Buffer.byteLength(JSON.stringify(image)) };
  });
  after(async () => {
    await reg?.stop();
  });

  test('a manifest with a subject is stored and answered with OCI-Subject', async () => {
    const a = { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.sbom', config: { mediaType: EMPTY, digest: sha('{}'), size: 2 }, layers: [{ mediaType: EMPTY, digest: sha('{}'), size: 2 }], subject, annotations: { 'org.example.kind': 'sbom' } };
    const r1 = await put(sha(JSON.stringify(a)), a);
    assert.equal(r1.status, 201);
    assert.equal(r1.headers.get('oci-subject'), subject.digest);
    sbom = r1.headers.get('docker-content-digest') ?? '';
    // an artifact typed by its config's media type (the pre-1.1 convention)
    const b = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.example.sig', digest: sha('{}'), size: 2 }, layers: [], subject };
    const r2 = await put('sig', b);
    assert.equal(r2.status, 201);
    sig = r2.headers.get('docker-content-digest') ?? '';
  });

  test('GET /v2/<name>/referrers/<digest> lists both, with artifactType and annotations', async () => {
    const r = await fetch(`${base}/${repo}/referrers/${subject.digest}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), OCI_INDEX);
    assert.equal(r.headers.get('oci-filters-applied'), null);
    const index = (await r.json()) as { schemaVersion: number; mediaType: string; manifests: { digest: string; artifactType?: string; annotations?: Record<string, string>; size: number; mediaType: string }[] };
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, OCI_INDEX);
    const byDigest = new Map(index.manifests.map((m) => [m.digest, m]));
    assert.equal(byDigest.size, 2);
    assert.equal(byDigest.get(sbom)?.artifactType, 'application/vnd.example.sbom');
    assert.deepEqual(byDigest.get(sbom)?.annotations, { 'org.example.kind': 'sbom' });
    assert.equal(byDigest.get(sbom)?.mediaType, OCI_MANIFEST);
    assert.equal(byDigest.get(sig)?.artifactType, 'application/vnd.example.sig');
  });

  test('artifactType filters and says so', async () => {
    const r = await fetch(`${base}/${repo}/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/vnd.example.sig')}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('oci-filters-applied'), 'artifactType');
    const index = (await r.json()) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest), [sig]);
  });

  test('a digest nothing refers to has an empty index; a bad digest is DIGEST_INVALID', async () => {
    const r = await fetch(`${base}/${repo}/referrers/${sha('nothing')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(((await r.json()) as { manifests: unknown[] }).manifests, []);
    const bad = await fetch(`${base}/${repo}/referrers/sha256:zzz`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { errors: { code: string }[] }).errors[0]?.code, 'DIGEST_INVALID');
  });

  test('a deleted referrer disappears; an invalid subject is MANIFEST_INVALID', async () => {
    assert.equal((await fetch(`${base}/${repo}/manifests/${sig}`, { method: 'DELETE' })).status, 202);
    const index = (await (await fetch(`${base}/${repo}/referrers/${subject.digest}`)).json()) as { manifests: { digest: string }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest), [sbom]);
    const r = await put('bad', { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: EMPTY, digest: sha('{}'), size: 2 }, layers: [], subject: { digest: 'nope' } });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0]?.code, 'MANIFEST_INVALID');
  });
});
