import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostPathOf, resolveContainerPath, type FsView } from '../../src/engine/containers/archive-view.js';
import { parseMountFlag } from '../../src/cli/commands/container/mount-flag.js';

describe('resolveContainerPath keeps every path inside the container view', () => {
  let dir: string;
  let view: FsView;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cp-resolve-'));
    await mkdir(join(dir, 'root/etc'), { recursive: true });
    await mkdir(join(dir, 'vol'), { recursive: true });
    await writeFile(join(dir, 'root/etc/passwd'), 'container');
    await symlink('/etc', join(dir, 'root/abs'));
    await symlink('../../../../../../..', join(dir, 'root/up'));
    await symlink('/', join(dir, 'vol/to-root'));
    view = { root: join(dir, 'root'), mounts: [{ destination: '/data', source: join(dir, 'vol') }] };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('absolute and relative symlinks restart at the container root', async () => {
    assert.equal((await resolveContainerPath(view, '/abs/passwd', { followFinal: true })).host, join(dir, 'root/etc/passwd'));
    assert.equal((await resolveContainerPath(view, '/up/etc/passwd', { followFinal: true })).host, join(dir, 'root/etc/passwd'));
    assert.equal((await resolveContainerPath(view, '/../../../etc/passwd', { followFinal: true })).host, join(dir, 'root/etc/passwd'));
  });

  test('the final symlink is kept unless asked to follow it', async () => {
    assert.deepEqual((await resolveContainerPath(view, '/abs', { followFinal: false })).comps, ['abs']);
    assert.deepEqual((await resolveContainerPath(view, '/abs', { followFinal: true })).comps, ['etc']);
  });

  test('mounts map to their source and a link inside one leads back to the container root', async () => {
    assert.equal(hostPathOf(view, ['data', 'x']), join(dir, 'vol/x'));
    assert.equal((await resolveContainerPath(view, '/data/to-root/etc/passwd', { followFinal: true })).host, join(dir, 'root/etc/passwd'));
  });
});

describe('--mount parsing', () => {
  test('bind, volume and tmpfs fields', () => {
    assert.deepEqual(parseMountFlag('type=bind,src=/a,dst=/b,readonly,bind-propagation=rshared'), {
      Type: 'bind', Source: '/a', Target: '/b', ReadOnly: true, BindOptions: { Propagation: 'rshared' },
    });
    assert.deepEqual(parseMountFlag('source=v,target=/d,volume-nocopy,volume-opt=type=tmpfs,volume-label=a=b'), {
      Type: 'volume', Source: 'v', Target: '/d', VolumeOptions: { NoCopy: true, DriverConfig: { Options: { type: 'tmpfs' } }, Labels: { a: 'b' } },
    });
    assert.deepEqual(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770'), {
      Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 },
    });
    assert.throws(() => parseMountFlag('type=bind,source=/a'), /target is required/);
    assert.throws(() => parseMountFlag('type=bind,bogus=1,target=/x'), /unexpected key 'bogus'/);
  });
});
