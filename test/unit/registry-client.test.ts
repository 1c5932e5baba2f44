import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanSize, progressBar } from '../../src/registry/client/progress-message.js';
import { parsePlatform, selectPlatform, type ImageIndex } from '../../src/registry/client/manifest-types.js';
import { endpointFor } from '../../src/registry/client/registry-endpoint.js';
import { parseChallengeParams } from '../../src/registry/client/registry-client.js';
import { pullReference } from '../../src/engine/images/pull.js';

test('sizes and bars read like Docker\'s', () => {
  assert.equal(humanSize(999), '999B');
  assert.equal(humanSize(1234), '1.234kB');
  assert.equal(humanSize(2_500_000), '2.5MB');
  assert.equal(progressBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B`);
  assert.equal(progressBar(100, 100), `[${'='.repeat(50)}>]     100B/100B`);
});

test('loopback registries are insecure by default; others only when configured', () => {
  assert.deepEqual(endpointFor('localhost:5000'), { host: 'localhost:5000', insecure: true });
  assert.equal(endpointFor('127.0.0.5:80').insecure, true);
  assert.equal(endpointFor('registry.example:5000').insecure, false);
  assert.equal(endpointFor('registry.example:5000', { insecureRegistries: ['registry.example:5000'] }).insecure, true);
  assert.equal(endpointFor('10.1.2.3:5000', { insecureRegistries: ['10.0.0.0/8'] }).insecure, true);
  assert.equal(endpointFor('docker.io').host, 'registry-1.docker.io');
});

test('the platform of an index entry is chosen like Docker does', () => {
  const entry = (architecture: string, variant?: string) => ({ mediaType: 'm', digest: `sha256:${architecture}${variant ?? ''}`, size: 1, platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } });
  const index: ImageIndex = { schemaVersion: 2, manifests: [entry('arm', 'v6'), entry('arm', 'v7'), entry('amd64'), entry('arm64', 'v8')] };
  assert.equal(selectPlatform(index, parsePlatform(undefined))?.digest, 'sha256:amd64');
  assert.equal(selectPlatform(index, parsePlatform('linux/arm/v7'))?.digest, 'sha256:armv7');
  assert.equal(selectPlatform(index, parsePlatform('linux/aarch64'))?.digest, 'sha256:arm64v8');
  assert.equal(selectPlatform(index, parsePlatform('linux/s390x')), undefined);
});

test('WWW-Authenticate parameters are parsed', () => {
  const p = parseChallengeParams('realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
  assert.equal(p.get('realm'), 'https://auth.example/token');
  assert.equal(p.get('service'), 'registry.example');
  assert.equal(p.get('scope'), 'repository:a/b:pull,push');
});

test('the pull reference takes a tag or a digest from the tag parameter', () => {
  assert.equal(pullReference('busybox').tag, 'latest');
  assert.equal(pullReference('localhost:5000/x', 'v1').tag, 'v1');
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(pullReference('localhost:5000/x', d).digest, d);
  assert.throws(() => pullReference('localhost:5000/x', 'sha256:zz'));
});
