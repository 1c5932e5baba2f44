import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

// HEALTHCHECK from the image, merged field by field with the --health-* flags as Docker does.
for (const cli of ['docker', 'berth'] as const) {
  describe(`image HEALTHCHECK via ${cli}`, () => {
    let h: BerthdHarness;
    const ctxDir = `/dev/shm/berth-health-image-${cli}-${process.pid}`;
    const run = (args: string[]) => runCli(cli, args, { env: { ...h.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
    const hcOf = async (name: string): Promise<HealthConfig | null> =>
      JSON.parse((await run(['inspect', '-f', '{{json .Config.Healthcheck}}', name])).stdout) as HealthConfig | null;

    before(async () => {
      h = await startBerthd(`hcimg-${cli}`);
      await loadBusybox(h);
      await mkdir(ctxDir, { recursive: true });
      await writeFile(
        `${ctxDir}/Dockerfile`,
        'FROM busybox\nHEALTHCHECK --interval=300ms --timeout=2s --retries=4 CMD echo from-image\n',
      );
      const b = await run(['build', '-q', '-t', 'hc-image', ctxDir]);
      assert.equal(b.code, 0, b.stderr);
    });
    after(async () => {
      await rm(ctxDir, { recursive: true, force: true });
      await h?.stop();
    });

    test('the image healthcheck runs without flags', async () => {
      const img = JSON.parse((await run(['image', 'inspect', '-f', '{{json .Config.Healthcheck}}', 'hc-image'])).stdout) as HealthConfig;
      assert.deepEqual(img, { Test: ['CMD-SHELL', 'echo from-image'], Interval: 300_000_000, Timeout: 2_000_000_000, Retries: 4 });
      const r = await run(['run', '-d', '--name', 'plain', 'hc-image', 'sleep', '600']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await hcOf('plain'), img);
      let status = '';
      for (let i = 0; i < 75 && status !== 'healthy'; i++) {
        await sleep(200);
        status = (await run(['inspect', '-f', '{{.State.Health.Status}}', 'plain'])).stdout.trim();
      }
      assert.equal(status, 'healthy');
      const out = (await run(['inspect', '-f', '{{(index .State.Health.Log 0).Output}}', 'plain'])).stdout;
      assert.equal(out, 'from-image\n\n');
    });

    test('flags override single fields; the rest comes from the image', async () => {
      const r = await run(['create', '--name', 'merged', '--health-retries', '9', '--health-cmd', 'echo from-flag', 'hc-image', 'sleep', '600']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await hcOf('merged'), { Test: ['CMD-SHELL', 'echo from-flag'], Interval: 300_000_000, Timeout: 2_000_000_000, Retries: 9 });
      const t = await run(['create', '--name', 'timeout-only', '--health-timeout', '5s', 'hc-image', 'sleep', '600']);
      assert.equal(t.code, 0, t.stderr);
      assert.deepEqual(await hcOf('timeout-only'), { Test: ['CMD-SHELL', 'echo from-image'], Interval: 300_000_000, Timeout: 5_000_000_000, Retries: 4 });
    });

    test('--no-healthcheck disables the image healthcheck', async () => {
      const r = await run(['run', '-d', '--name', 'nohc', '--no-healthcheck', 'hc-image', 'sleep', '600']);
      assert.equal(r.code, 0, r.stderr);
      // Docker's merge keeps the image's timings beside the user's Test ["NONE"].
      assert.deepEqual(await hcOf('nohc'), { Test: ['NONE'], Interval: 300_000_000, Timeout: 2_000_000_000, Retries: 4 });
      await sleep(700);
      assert.equal((await run(['inspect', '-f', '{{json .State.Health}}', 'nohc'])).stdout.trim(), 'null');
      assert.match((await run(['ps', '--filter', 'name=nohc', '--format', '{{.Status}}'])).stdout, /^Up [^(]*\n$/);
    });
  });
}
