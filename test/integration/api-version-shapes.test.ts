import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// API version differences as an old client sees them (src/daemon/api/compat/api-version-shapes.ts).
describe('API version shapes through the docker CLI', () => {
  let h: BerthdHarness;
  const docker = async (args: string[], env: Record<string, string> = {}): Promise<string> => {
    const r = await runCli('docker', args, { env: { ...h.env, ...env }, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  before(async () => {
    h = await startBerthd('apiver');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('DOCKER_API_VERSION=1.41 image inspect has VirtualSize, Container and ContainerConfig', async () => {
    const old = JSON.parse(await docker(['image', 'inspect', '-f', '{{json .}}', 'busybox'], { DOCKER_API_VERSION: '1.41' })) as Record<string, unknown>;
    assert.equal(old['VirtualSize'], old['Size']);
    // Container is "" for a pulled image and the CLI's struct omits it when empty
    assert.equal(typeof old['ContainerConfig'], 'object');
    const cur = JSON.parse(await docker(['image', 'inspect', '-f', '{{json .}}', 'busybox'])) as Record<string, unknown>;
    assert.equal('VirtualSize' in cur, false);
    assert.equal('ContainerConfig' in cur, false);
  });
});
