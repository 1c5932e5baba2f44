import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { containerInspectShape, imageInspectShape, imageSummaryShape } from '../../src/daemon/api/compat/api-version-shapes.js';
import type { ImageSummary } from '../../src/engine/images/list.js';
import type { ImageInspect } from '../../src/engine/images/inspect.js';

const summary: ImageSummary = {
  Id: 'sha256:aa', ParentId: '', RepoTags: [], RepoDigests: [], Created: 1, Size: 42, SharedSize: -1, Labels: {}, Containers: -1,
};
const inspect: ImageInspect = {
  Id: 'sha256:aa', RepoTags: ['x:1'], RepoDigests: [], Parent: '', Comment: '', Created: '2026-01-01T00:00:00Z', DockerVersion: '', Author: '',
  Config: null, Architecture: 'amd64', Os: 'linux', Size: 42, GraphDriver: { Name: 'overlay2', Data: null }, RootFS: { Type: 'layers', Layers: [] },
  Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
};

describe('API version shapes', () => {
  test('image list: VirtualSize below 1.44, right after Size', () => {
    assert.equal(imageSummaryShape(summary, '1.43')['VirtualSize'], 42);
    const keys = Object.keys(imageSummaryShape(summary, '1.43'));
    assert.equal(keys[keys.indexOf('Size') + 1], 'VirtualSize');
    assert.equal('VirtualSize' in imageSummaryShape(summary, '1.44'), false);
  });

  test('image list: <none> placeholders below 1.43 only', () => {
    assert.deepEqual(imageSummaryShape(summary, '1.42')['RepoTags'], ['<none>:<none>']);
    assert.deepEqual(imageSummaryShape(summary, '1.42')['RepoDigests'], ['<none>@<none>']);
    assert.deepEqual(imageSummaryShape(summary, '1.43')['RepoTags'], []);
  });

  test('image inspect: Container and ContainerConfig below 1.45, after Created', () => {
    const old = imageInspectShape(inspect, '1.44', { container: 'abc' });
    const keys = Object.keys(old);
    assert.deepEqual(keys.slice(keys.indexOf('Created'), keys.indexOf('Created') + 3), ['Created', 'Container', 'ContainerConfig']);
    assert.equal(old['Container'], 'abc');
    assert.equal((old['ContainerConfig'] as { Hostname: string }).Hostname, '');
    assert.equal('Container' in imageInspectShape(inspect, '1.45', {}), false);
  });

  test('image inspect: VirtualSize below 1.44', () => {
    assert.equal(imageInspectShape(inspect, '1.41', {})['VirtualSize'], 42);
    assert.equal('VirtualSize' in imageInspectShape(inspect, '1.50', {}), false);
  });

  test('container inspect: short id and hostname among user-defined network aliases below 1.45', () => {
    const wire = () => ({
      Id: '0123456789abcdef', Config: { Hostname: 'host1' },
      NetworkSettings: { Networks: { bridge: { Aliases: null }, mynet: { Aliases: ['web'] } } },
    });
    const old = containerInspectShape(wire(), '1.44') as { NetworkSettings: { Networks: Record<string, { Aliases: unknown }> } };
    assert.deepEqual(old.NetworkSettings.Networks['mynet']?.Aliases, ['web', '0123456789ab', 'host1']);
    assert.equal(old.NetworkSettings.Networks['bridge']?.Aliases, null);
    const cur = containerInspectShape(wire(), '1.45') as { NetworkSettings: { Networks: Record<string, { Aliases: unknown }> } };
    assert.deepEqual(cur.NetworkSettings.Networks['mynet']?.Aliases, ['web']);
  });
});
