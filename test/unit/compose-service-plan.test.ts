import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planService } from '../../src/compose/service-plan.js';

const c = (Id: string, State: string, hash: string, image = 'sha256:a') => ({
  Id,
  State,
  Labels: { 'com.docker.compose.config-hash': hash, 'com.docker.compose.image': image },
});
const want = { hash: 'h1', imageId: 'sha256:a' };

void test('no container: create', () => {
  assert.deepEqual(planService([], want), { action: 'create', recreate: false, remove: [] });
});

void test('a running container with the same hash and image is kept; a stopped one is started', () => {
  assert.deepEqual(planService([c('x', 'running', 'h1')], want), { action: 'keep', id: 'x', remove: [] });
  assert.deepEqual(planService([c('x', 'exited', 'h1')], want), { action: 'start', id: 'x', remove: [] });
});

void test('a changed hash or image recreates', () => {
  assert.deepEqual(planService([c('x', 'running', 'h0')], want), { action: 'create', recreate: true, remove: ['x'] });
  assert.deepEqual(planService([c('x', 'running', 'h1', 'sha256:b')], want), { action: 'create', recreate: true, remove: ['x'] });
});

void test('extra containers of the service are removed beside the kept one', () => {
  assert.deepEqual(planService([c('old', 'exited', 'h0'), c('x', 'running', 'h1')], want), { action: 'keep', id: 'x', remove: ['old'] });
});
