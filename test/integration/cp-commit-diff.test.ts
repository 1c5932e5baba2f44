import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

for (const cli of ['docker', 'berth'] as const) {
  describe(`export, diff and commit via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      h = await startBerthd(`commit-${cli}`);
      await loadBusybox(h);
      await ok([
        'run', '--name', 'changed', '-v', 'side:/data', 'busybox', 'sh', '-c',
        'mkdir -p /srv/app && echo app > /srv/app/f && chown -R 1000:1000 /srv/app && chmod 750 /srv/app && rm /etc/group && echo more >> /etc/passwd && echo v > /data/v',
      ]);
    });
    after(async () => {
      await h?.stop();
    });

    test('diff lists A/C/D against the image, without volumes or engine files', async () => {
      const diff = (await ok(['diff', 'changed'])).split('\n').filter(Boolean);
      for (const line of ['C /etc', 'D /etc/group', 'C /etc/passwd', 'A /srv', 'A /srv/app', 'A /srv/app/f']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);
      assert.ok(!diff.some((l) => /\/data\/v|hostname|resolv\.conf|\/etc\/hosts$/.test(l)), diff.join(', '));
    });

    test('export is the container filesystem without its volumes', async () => {
      const out = `${h.root}/export-${cli}.tar`;
      await ok(['export', '-o', out, 'changed']);
      const names = execFileSync('tar', ['tf', out], { encoding: 'utf8' }).split('\n');
      assert.ok(names.includes('srv/app/f'));
      assert.ok(names.includes('bin/busybox') || names.some((n) => n.startsWith('bin/')), 'image content is there');
      assert.ok(!names.includes('etc/group'), 'deleted files are gone');
      assert.ok(!names.includes('data/v'), 'volumes are not exported');
    });

    test('commit with -c, -m, -a; the new image runs, and copy-up keeps its owners', async () => {
      const id = (await ok(['commit', '-m', 'my message', '-a', 'Berth Test', '-c', 'CMD ["cat", "/srv/app/f"]', '-c', 'ENV COMMITTED=yes', 'changed', `snap-${cli}:v1`])).trim();
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      assert.equal(await ok(['run', '--rm', `snap-${cli}:v1`]), 'app\n');
      assert.equal(await ok(['run', '--rm', `snap-${cli}:v1`, 'sh', '-c', 'echo $COMMITTED; ls /etc/group 2>/dev/null || echo no-group']), 'yes\nno-group\n');
      const meta = await ok(['image', 'inspect', '-f', '{{.Comment}}|{{.Author}}|{{len .RootFS.Layers}}', `snap-${cli}:v1`]);
      assert.equal(meta, 'my message|Berth Test|2\n');
      // the committed image records the image it was made from; that one now has a dependent child
      const base = (await ok(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).trim();
      assert.equal((await ok(['image', 'inspect', '-f', '{{.Parent}}', `snap-${cli}:v1`])).trim(), base);
      const rmBase = await run(['rmi', base]);
      assert.equal(rmBase.code, 1);
      assert.match(rmBase.stderr, /conflict: unable to delete [0-9a-f]{12} \(cannot be forced\) - image has dependent child images|image is being used by (stopped|running) container/);
      const copied = await ok(['run', '--rm', '-v', `cu-${cli}:/srv/app`, `snap-${cli}:v1`, 'sh', '-c', 'stat -c "%a %u:%g" /srv/app /srv/app/f']);
      assert.equal(copied, '750 1000:1000\n644 1000:1000\n');
      // an image VOLUME becomes an anonymous volume, populated from the image
      await ok(['commit', '-c', 'VOLUME /srv/app', 'changed', `vol-${cli}`]);
      await ok(['run', '--name', `volimg-${cli}`, '-v', '/extra', `vol-${cli}`, 'true']);
      const mounts = JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', `volimg-${cli}`])) as { Name: string; Destination: string; Source: string }[];
      assert.deepEqual(mounts.map((m) => m.Destination).sort(), ['/extra', '/srv/app']);
      const app = mounts.find((m) => m.Destination === '/srv/app');
      assert.match(app?.Name ?? '', /^[0-9a-f]{64}$/);
      assert.equal(await readFile(`${app?.Source ?? ''}/f`, 'utf8'), 'app\n');
      await ok(['rm', '-v', `volimg-${cli}`]);
      assert.equal(existsSync(app?.Source ?? '/'), false, 'rm -v removed the anonymous volume');
    });

    test('commit body config (docker-py conf=): the new image config, the container\'s filling what it leaves unset, as dockerd 20.10', async () => {
      if (cli !== 'docker') return;
      await ok(['create', '--name', `cb-${cli}`, '-e', 'B=2', '-e', 'A=0', '--label', 'z=w', '-w', '/srv', '-u', '1000', '--expose', '90', 'busybox', 'sleep', '1']);
      const body = JSON.stringify({ Env: ['A=1'], Cmd: ['echo', 'hi'], Labels: { x: 'y' }, ExposedPorts: { '80/tcp': {} } });
      // Not curl through execFileSync: the harness's relay runs on this event loop.
      const res = await new Promise<string>((resolve, reject) => {
        const req = request({ socketPath: h.socket, method: 'POST', path: `/v1.41/commit?container=cb-${cli}&repo=cbimg&changes=ENV%20C%3D3`, headers: { 'Content-Type': 'application/json' } }, (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve(`${r.statusCode} ${text}`));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.match(res, /^201 \{"Id":"sha256:[0-9a-f]{64}"\}/);
      const cfg = JSON.parse(await ok(['image', 'inspect', '-f', '{{json .Config}}', 'cbimg'])) as Record<string, unknown>;
      // dockerd 20.10 for the same container and request:
      // {"User":"1000","ExposedPorts":{"80/tcp":{},"90/tcp":{}},"Env":["A=1","C=3","B=2","PATH=/usr/local/sbin:…"],"Cmd":["echo","hi"],"WorkingDir":"/srv","Labels":{"x":"y","z":"w"}}
      assert.equal(cfg['User'], '1000');
      assert.deepEqual(cfg['ExposedPorts'], { '80/tcp': {}, '90/tcp': {} });
      assert.deepEqual(cfg['Env'], ['A=1', 'C=3', 'B=2', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
      assert.deepEqual(cfg['Cmd'], ['echo', 'hi']);
      assert.equal(cfg['WorkingDir'], '/srv');
      assert.deepEqual(cfg['Labels'], { x: 'y', z: 'w' });
      await ok(['rm', `cb-${cli}`]);
      await ok(['rmi', 'cbimg']);
    });

    test('commit of a running container pauses it and it keeps running', async () => {
      await ok(['run', '-d', '--name', 'busy', 'busybox', 'sh', '-c', 'echo live > /live; sleep 600']);
      await new Promise((r) => setTimeout(r, 300));
      await ok(['commit', 'busy', `live-${cli}`]);
      assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'busy']), 'running\n');
      assert.equal(await ok(['run', '--rm', `live-${cli}`, 'cat', '/live']), 'live\n');
      await ok(['rm', '-f', 'busy']);
    });
  });
}

describe('copy-up into a bind mount does not happen', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('commit-bind');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });
  test('an empty bind source stays empty', async () => {
    const dir = `${h.root}/empty-bind`;
    await mkdir(dir);
    const r = await runCli('docker', ['run', '--rm', '-v', `${dir}:/etc`, 'busybox', 'ls', '/etc'], { env: h.env });
    assert.doesNotMatch(r.stdout, /passwd/);
  });
});
