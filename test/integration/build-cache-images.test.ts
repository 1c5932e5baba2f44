import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const CTX_ROOT = '/dev/shm/berth-build-cache-images-test';

async function context(name: string, dockerfile: string): Promise<string> {
  const dir = join(CTX_ROOT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

// Volume events, build cache in df/prune, intermediate images, rm/forcerm: the same assertions through both CLIs.
for (const cli of ['docker', 'berth'] as const) {
  describe(`build cache, intermediate images and volume events via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: { ...h.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      h = await startBerthd(`bci-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
      await rm(join(CTX_ROOT, cli), { recursive: true, force: true });
      await rmdir(CTX_ROOT).catch(() => undefined);
    });

    test('volume create, mount, unmount and destroy are events', async () => {
      const since = String(Math.floor(Date.now() / 1000) - 1);
      await ok(['run', '--rm', '-v', 'evvol:/d:ro', 'busybox', 'true']);
      await ok(['volume', 'rm', 'evvol']);
      const until = String(Math.floor(Date.now() / 1000) + 1);
      const ev = await ok(['events', '--since', since, '--until', until, '--filter', 'type=volume', '--format',
        '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "destination"}} {{index .Actor.Attributes "read/write"}}']);
      assert.deepEqual(lines(ev).map((l) => l.trim()), ['create evvol', 'mount evvol /d false', 'unmount evvol', 'destroy evvol']);
    });

    test('intermediate images: hidden without -a, rmi refused while they have children', async () => {
      const dir = await context(`${cli}/chain`, 'FROM busybox\nRUN echo a > /a\nRUN echo bb > /b\nLABEL step=three\n');
      await ok(['build', '-t', 'chain:1', '--label', 'z.last=1', '--label', 'a.first=2', dir]);
      // Labels is a Go map: both CLIs print its keys sorted, whatever order the daemon sent
      assert.equal((await ok(['image', 'inspect', '-f', '{{json .Config.Labels}}', 'chain:1'])).trim(), '{"a.first":"2","step":"three","z.last":"1"}');
      assert.equal(lines(await ok(['images', '-q'])).length, 2, 'busybox and chain:1');
      assert.equal(lines(await ok(['images', '-a', '-q'])).length, 5, 'plus the RUN, RUN and LABEL step images (--label is a last step)');
      assert.equal(lines(await ok(['images', '-q', '--filter', 'dangling=true'])).length, 0, 'intermediate images are not dangling');
      const parent = (await ok(['image', 'inspect', '-f', '{{.Parent}}', 'chain:1'])).trim();
      assert.match(parent, /^sha256:[0-9a-f]{64}$/);
      for (const args of [['rmi', parent], ['rmi', '-f', parent]]) {
        const r = await run(args);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`Error response from daemon: conflict: unable to delete ${parent.slice(7, 19)} \\(cannot be forced\\) - image has dependent child images`));
      }
    });

    test('build cache in system df; builder prune reclaims what no image holds', async () => {
      const df = await ok(['system', 'df']);
      assert.match(df, /^Build Cache\s+4\s+0\s+0B\s+0B$/m, 'every cached step is part of chain:1 (shared)');
      // a rebuild that diverges after the first RUN leaves the old tail to the cache alone
      const dir = await context(`${cli}/chain2`, 'FROM busybox\nRUN echo a > /a\nRUN echo other > /c\n');
      const out = await ok(['build', '-t', 'chain:1', dir]);
      assert.match(out, /Using cache/);
      const df2 = await ok(['system', 'df']);
      assert.match(df2, /^Build Cache\s+5\s+0\s+[1-9][\d.]*k?B\s+[1-9][\d.]*k?B$/m);
      const verbose = await ok(['system', 'df', '-v']);
      assert.match(verbose, /^Build cache usage: [1-9][\d.]*k?B$/m);
      assert.match(verbose, /^CACHE ID\s+CACHE TYPE\s+SIZE\s+CREATED\s+LAST USED\s+USAGE\s+SHARED$/m);
      assert.match(verbose, /^[0-9a-f]{12}\s+regular\s+[1-9][\d.]*k?B\s+.+ ago\s+.+ ago\s+1\s+false$/m);
      assert.match(verbose, /^[0-9a-f]{12}\s+regular\s+[1-9][\d.]*k?B\s+.+ ago\s+.+ ago\s+1\s+true$/m, 'shared: listed, not counted');
      const all = lines(await ok(['images', '-a', '-q'])).length;
      const pruned = await ok(['builder', 'prune', '-f']);
      // without --all only dangling cache goes: the steps chain:1 is built on stay
      assert.match(pruned, /^Deleted build cache objects:\n([0-9a-f]{25}\n){3}\nTotal reclaimed space: [1-9][\d.]*k?B\n$/);
      assert.equal(lines(await ok(['images', '-a', '-q'])).length, all - 3, 'the old RUN and two LABEL step images went');
      assert.match(await ok(['system', 'df']), /^Build Cache\s+2\s+0\s+0B\s+0B$/m);
      assert.equal(await ok(['builder', 'prune', '-f']), 'Total reclaimed space: 0B\n');
      assert.match(await ok(['builder', 'prune', '-af']), /^Deleted build cache objects:\n([0-9a-f]{25}\n){2}\nTotal reclaimed space: 0B\n$/);
      assert.match(await ok(['system', 'df']), /^Build Cache\s+0\s+0\s+0B\s+0B$/m);
    });

    test('rm/forcerm: a failed step keeps its container unless --force-rm, --rm=false keeps successful ones', async () => {
      const failing = await context(`${cli}/fail`, 'FROM busybox\nRUN echo x > /x && exit 2\n');
      assert.equal((await run(['build', failing])).code, 2);
      assert.equal(lines(await ok(['ps', '-aq', '--filter', 'status=exited'])).length, 1, 'the failed step container stays');
      await ok(['container', 'prune', '-f']);
      assert.equal((await run(['build', '--force-rm', failing])).code, 2);
      assert.equal(await ok(['ps', '-aq']), '');
      const good = await context(`${cli}/keep`, 'FROM busybox\nRUN echo kept > /k\n');
      const out = await ok(['build', '--rm=false', good]);
      assert.doesNotMatch(out, /Removing intermediate container/);
      assert.equal(lines(await ok(['ps', '-aq', '--filter', 'status=exited'])).length, 1, 'the successful step container stays');
      await ok(['container', 'prune', '-f']);
      const sys = await ok(['system', 'prune', '-f']);
      assert.match(sys, /Deleted build cache objects:\n[0-9a-f]{25}\n/);
      assert.match(sys, /Total reclaimed space: [1-9][\d.]*k?B\n$/);
    });
  });
}
