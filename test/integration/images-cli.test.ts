import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { busyboxTarball, loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const exec = promisify(execFile);

for (const cli of ['docker', 'berth'] as const) {
  describe(`images via ${cli}`, () => {
    let h: BerthdHarness;
    let work: string;
    const run = (args: string[], input?: string | Buffer) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000 });

    before(async () => {
      h = await startBerthd(`img-${cli}`);
      work = await mkdtemp(`/dev/shm/berth-img-${cli}-`);
    });
    after(async () => {
      await h?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    test('load a docker-archive from stdin', async () => {
      const r = await run(['load'], await busyboxTarball());
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Loaded image: busybox:latest/);
      const images = await run(['images']);
      assert.match(images.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
      assert.match(images.stdout, /\nbusybox\s+latest\s+[0-9a-f]{12}\s+/);
    });

    test('image inspect, tag, history, rmi', async () => {
      await loadBusybox(h);
      const id = (await run(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      const os = await run(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}} {{index .RepoTags 0}}', 'busybox']);
      assert.equal(os.stdout.trim(), 'linux/amd64 busybox:latest');
      assert.equal((await run(['tag', 'busybox', 'example.local/mine:v1'])).code, 0);
      const tagged = await run(['images', '--format', '{{.Repository}}:{{.Tag}}']);
      assert.match(tagged.stdout, /example\.local\/mine:v1/);
      const hist = await run(['history', 'busybox']);
      assert.equal(hist.code, 0, hist.stderr);
      assert.match(hist.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
      const untag = await run(['rmi', 'example.local/mine:v1']);
      assert.equal(untag.code, 0, untag.stderr);
      assert.match(untag.stdout, /Untagged: example\.local\/mine:v1/);
      const missing = await run(['rmi', 'nope:nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /No such image: nope:nope/);
    });

    test('rmi refuses an image a container uses', async () => {
      await loadBusybox(h);
      const name = `user-${cli}`;
      assert.equal((await run(['create', '--name', name, 'busybox', 'true'])).code, 0);
      const id = (await run(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
      const refused = await run(['rmi', id.slice(7, 19)]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /conflict: unable to delete [0-9a-f]{12} \(must be forced\) - image is being used by stopped container/);
      assert.equal((await run(['rm', name])).code, 0);
    });

    test('save and load round-trip keeps the image id', async () => {
      await loadBusybox(h);
      const id = (await run(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim();
      const out = `${work}/saved.tar`;
      const s = await run(['save', '-o', out, 'busybox']);
      assert.equal(s.code, 0, s.stderr);
      const listing = (await exec('tar', ['tf', out])).stdout;
      assert.match(listing, /manifest\.json/);
      assert.match(listing, /index\.json/);
      assert.equal((await run(['rmi', 'busybox'])).code, 0);
      const l = await run(['load', '-i', out]);
      assert.equal(l.code, 0, l.stderr);
      assert.equal((await run(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim(), id);
    });

    test('import a rootfs tarball and run it', async () => {
      await loadBusybox(h);
      const rootfs = `${work}/rootfs`;
      await exec('mkdir', ['-p', `${rootfs}/bin`]);
      await exec('cp', ['/bin/busybox', `${rootfs}/bin/busybox`]);
      await exec('ln', ['-sf', 'busybox', `${rootfs}/bin/sh`]);
      await writeFile(`${rootfs}/hello.txt`, 'imported\n');
      const tarPath = `${work}/rootfs.tar`;
      await exec('tar', ['-C', rootfs, '-cf', tarPath, '.']);
      const imp = await run(['import', tarPath, `imported-${cli}:v1`]);
      assert.equal(imp.code, 0, imp.stderr);
      assert.match(imp.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
      const r = await run(['run', '--rm', `imported-${cli}:v1`, '/bin/busybox', 'cat', '/hello.txt']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'imported\n');
    });

    test('a corrupt archive is refused and leaves nothing behind', async () => {
      const before = (await run(['images', '-q'])).stdout;
      const bad = await run(['load'], Buffer.from('this is not a tar archive at all'.repeat(40)));
      assert.notEqual(bad.code, 0);
      assert.equal((await run(['images', '-q'])).stdout, before);
      // refused while the CLI is still sending 32 MiB: the error still reaches it (no broken pipe)
      const big = await run(['load'], Buffer.alloc(32 << 20, 'not a tar '));
      assert.equal(big.code, 1);
      assert.match(big.stderr, /Error response from daemon: invalid image archive/);
      const imp = await run(['import', '-'], Buffer.alloc(32 << 20, 'not a tar '));
      assert.equal(imp.code, 1);
      assert.match(imp.stderr, /Error response from daemon: failed to apply layer/);
      assert.equal((await run(['images', '-q'])).stdout, before);
    });
  });
}
