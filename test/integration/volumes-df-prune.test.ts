import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

for (const cli of ['docker', 'berth'] as const) {
  describe(`system df and prune via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000 });
    const ok = async (args: string[], input?: string): Promise<string> => {
      const r = await run(args, input);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      h = await startBerthd(`df-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('system df counts images, containers and volumes', async () => {
      await ok(['run', '--name', 'writer', '-v', 'dfvol:/v', 'busybox', 'sh', '-c', 'head -c 3000 /dev/zero > /f; head -c 2000 /dev/zero > /v/f']);
      await ok(['run', '-d', '--name', 'runner', 'busybox', 'sleep', '600']);
      const df = await ok(['system', 'df']);
      const lines = df.split('\n');
      assert.match(lines[0] ?? '', /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
      assert.match(df, /^Images\s+1\s+1\s+\S+\s+/m);
      assert.match(df, /^Containers\s+2\s+1\s+3kB\s+3kB \(100%\)$/m);
      assert.match(df, /^Local Volumes\s+1\s+1\s+2kB\s+0B \(0%\)$/m);
      assert.match(df, /^Build Cache\s+0\s+0\s+0B\s+0B$/m);
      const v = await ok(['system', 'df', '-v']);
      assert.match(v, /^dfvol\s+1\s+2kB$/m);
      assert.match(v, /^busybox\s+latest\s+[0-9a-f]{12}\s+/m);
      // docker's verbose columns: CREATED for images and containers; shared/unique sizes with 4 digits
      assert.match(v, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS$/m);
      assert.match(v, /^busybox\s+latest\s+[0-9a-f]{12}\s+\d+ years ago\s+\S+\s+\S+\s+\S+\s+2$/m);
      assert.match(v, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES$/m);
      assert.match(v, /^[0-9a-f]{12}\s+busybox\s+"sleep 600"\s+0\s+0B\s+(Less than a second|\d+ seconds?) ago\s+Up .*runner$/m);
    });

    test('container, image and volume prune report what they reclaimed', async () => {
      const c = await ok(['container', 'prune', '-f']);
      assert.match(c, /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: 3kB\n$/);
      assert.match(await ok(['ps', '-a', '--format', '{{.Names}}']), /^runner$/m, 'running containers stay');
      const declined = await ok(['container', 'prune'], 'n\n');
      assert.match(declined, /Are you sure you want to continue\? \[y\/N\] $/);
      assert.equal(await ok(['image', 'prune', '-f']), 'Total reclaimed space: 0B\n');
      await ok(['commit', 'runner', 'extra:1']);
      await ok(['rm', '-f', 'runner']);
      const all = await ok(['image', 'prune', '-a', '-f']);
      assert.match(all, /^Deleted Images:\nuntagged: extra:1\ndeleted: sha256:[0-9a-f]{64}\n/);
      assert.match(all, /untagged: busybox:latest\n/);
      assert.match(all, /Total reclaimed space: [1-9][\d.]*[kM]B\n$/);
      assert.equal(await ok(['images', '-q']), '');
      assert.equal(await ok(['volume', 'prune', '-f', '-a']), 'Deleted Volumes:\ndfvol\n\nTotal reclaimed space: 2kB\n');
    });

    test('system prune --volumes -a leaves nothing unused', async () => {
      await loadBusybox({ ...h, busyboxLoaded: false });
      await ok(['create', '-v', '/anon', 'busybox', 'true']);
      const out = await ok(['system', 'prune', '-a', '-f', '--volumes']);
      assert.match(out, /^Deleted Containers:\n[0-9a-f]{64}\n\n/);
      assert.match(out, /Deleted Volumes:\n[0-9a-f]{64}\n/);
      assert.match(out, /Deleted Images:\n/);
      assert.match(out, /Total reclaimed space: /);
      assert.equal(await ok(['ps', '-aq']), '');
      assert.equal(await ok(['volume', 'ls', '-q']), '');
    });
  });
}
