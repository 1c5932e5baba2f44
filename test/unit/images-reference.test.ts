import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarName,
  familiarString,
  formatReference,
  normalizeReference,
  parseReference,
  withDefaultTag,
} from '../../src/images/reference.js';
import { isEngineError } from '../../src/errors/engine-error.js';

void test('reference: official image short name is normalised', () => {
  assert.equal(normalizeReference('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(familiarName(parseReference('busybox')), 'busybox');
});

void test('reference: user repository on Docker Hub keeps its namespace', () => {
  assert.equal(normalizeReference('user/app:1.0'), 'docker.io/user/app:1.0');
  assert.equal(familiarString(parseReference('docker.io/user/app:1.0')), 'user/app:1.0');
});

void test('reference: index.docker.io is Docker Hub', () => {
  assert.equal(normalizeReference('index.docker.io/library/alpine:3'), 'docker.io/library/alpine:3');
});

void test('reference: registry with port, nested path and tag', () => {
  const ref = parseReference('localhost:5000/a/b:t');
  assert.deepEqual(ref, { domain: 'localhost:5000', path: 'a/b', tag: 't', digest: undefined });
  assert.equal(familiarName(ref), 'localhost:5000/a/b');
  assert.equal(familiarString(ref), 'localhost:5000/a/b:t');
});

void test('reference: localhost without port is a domain', () => {
  assert.equal(parseReference('localhost/x').domain, 'localhost');
});

void test('reference: digest references keep no default tag', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const ref = withDefaultTag(parseReference(`busybox@${digest}`));
  assert.equal(ref.tag, undefined);
  assert.equal(formatReference(ref), `docker.io/library/busybox@${digest}`);
});

void test('reference: uppercase repository gives Docker\'s lowercase message', () => {
  assert.throws(
    () => parseReference('Busybox'),
    (err: unknown) => isEngineError(err, 'invalid_argument') && err.message === 'invalid reference format: repository name (library/Busybox) must be lowercase',
  );
});

void test('reference: malformed input is an invalid reference format', () => {
  for (const bad of ['', 'a:b:c', 'busybox:', ':tag', 'a//b', 'UPPER:5000x/y', 'x@sha256:zz', 'busy box', '-leading']) {
    assert.throws(() => parseReference(bad), (err: unknown) => isEngineError(err, 'invalid_argument'), bad);
  }
});

void test('reference: a 64-hex string is not a repository name', () => {
  assert.throws(() => parseReference('a'.repeat(64)), /cannot specify 64-byte hexadecimal strings/);
});
