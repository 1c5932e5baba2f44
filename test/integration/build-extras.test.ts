/**
 * Classic builder, the less common paths: xattrs made by a RUN step survive
 * into the image, ADD <url>, `builder prune` with --all and filters, deep
 * contexts, and a `berth build` that dies leaves no temp files. Both CLIs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lgetxattr, lsetxattr } from '../../src/lib/syscalls.js';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { api, makeTar } from '../security/hostile-lib.js';

const CTX_ROOT = '/dev/shm/berth-build-extras-test';

async function context(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(CTX_ROOT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [f, body] of Object.entries(files)) await writeFile(join(dir, f), body);
  return dir;
}

const count = (s: string, needle: string): number => s.split(needle).length - 1;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const cli of ['docker', 'berth'] as const) {
  describe(`classic build extras via ${cli}`, () => {
    let h: BerthdHarness;
    let server: Server;
    let base = '';
    const served: Record<string, { body: Buffer; lastModified?: string }> = {};
    let hits = 0;
    const run = (args: string[]) => runCli(cli, args, { env: { ...h.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 180_000 });
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout;
    };

    before(async () => {
      h = await startBerthd(`bx-${cli}`);
      await loadBusybox(h);
      server = createServer((req, res) => {
        hits++;
        const f = served[req.url ?? ''];
        if (!f) {
          res.writeHead(404, { 'Content-Type': 'text/plain' });
          res.end('no such file\n');
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', ...(f.lastModified ? { 'Last-Modified': f.lastModified } : {}) });
        res.end(f.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await h?.stop();
      await new Promise((r) => server?.close(r));
      await rm(join(CTX_ROOT, cli), { recursive: true, force: true });
      await rmdir(CTX_ROOT).catch(() => undefined);
    });

    test('--memory, --memory-swap, --cpu-shares, --cpuset-cpus, --cpu-period, --cpu-quota and --shm-size limit the RUN step containers', async () => {
      const cg = (ctl: string, file: string): string => `cat /sys/fs/cgroup/${ctl}/${file} 2>/dev/null || echo none`;
      const dir = await context(`${cli}/limits`, {
        Dockerfile: [
          'FROM busybox',
          `RUN echo "mem=$(${cg('memory', 'memory.limit_in_bytes')}) swap=$(${cg('memory', 'memory.memsw.limit_in_bytes')}) shares=$(${cg('cpu', 'cpu.shares')}) period=$(${cg('cpu', 'cpu.cfs_period_us')}) quota=$(${cg('cpu', 'cpu.cfs_quota_us')}) cpus=$(${cg('cpuset', 'cpuset.cpus')}) shm=$(df -k /dev/shm | tail -1 | awk '{print $2}')"`,
          '',
        ].join('\n'),
      });
      const out = await ok(['build', '--no-cache', '-m', '64m', '--memory-swap', '96m', '--cpu-shares', '512', '--cpuset-cpus', '0', '--cpu-period', '50000', '--cpu-quota', '25000', '--shm-size', '32m', dir]);
      assert.match(out, /mem=67108864 swap=100663296 shares=512 period=50000 quota=25000 cpus=0 shm=32768/);
    });

    test('a RUN step keeps extended attributes in its layer (user.* and security.capability)', async () => {
      const dir = await context(`${cli}/xattr`, {
        Dockerfile: 'FROM busybox\nRUN touch /xf && i=0; while [ ! -e /tmp/go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; rm -f /tmp/go\n',
      });
      const build = run(['build', '-t', `xattr-${cli}`, dir]);
      // the host sets the attributes through the step container's rootfs while it waits
      let merged = '';
      for (let i = 0; i < 300 && merged === ''; i++) {
        const id = (await ok(['ps', '-q'])).trim();
        if (id !== '') merged = (await ok(['inspect', '-f', '{{.GraphDriver.Data.MergedDir}}', id])).trim();
        if (merged === '' || !existsSync(join(merged, 'xf'))) {
          merged = '';
          await sleep(100);
        }
      }
      assert.notEqual(merged, '', 'the RUN step container showed up');
      const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex'); // cap_net_bind_service, v2
      lsetxattr(join(merged, 'xf'), 'user.berth', Buffer.from('kept\x00\xff'));
      lsetxattr(join(merged, 'xf'), 'security.capability', cap);
      await writeFile(join(merged, 'tmp/go'), '');
      const b = await build;
      assert.equal(b.code, 0, b.stderr);
      const cid = (await ok(['run', '-d', `xattr-${cli}`, 'sleep', '60'])).trim();
      try {
        const root = (await ok(['inspect', '-f', '{{.GraphDriver.Data.MergedDir}}', cid])).trim();
        assert.deepEqual(lgetxattr(join(root, 'xf'), 'user.berth'), Buffer.from('kept\x00\xff'));
        assert.deepEqual(lgetxattr(join(root, 'xf'), 'security.capability'), cap);
      } finally {
        await ok(['rm', '-f', cid]);
      }
    });

    test('ADD <url>: downloaded, not extracted, mode 0600, Last-Modified mtime, cached on content', async () => {
      const tarball = await makeTar([{ name: 'inside', body: 'x' }]);
      served['/files/hello.txt'] = { body: Buffer.from('hello v1\n'), lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' };
      served['/files/archive.tar'] = { body: tarball };
      const dir = await context(`${cli}/addurl`, {
        Dockerfile: [
          'FROM busybox',
          `ADD ${base}/files/hello.txt /dl/`,
          `ADD ${base}/files/hello.txt /named.txt`,
          `ADD ${base}/files/archive.tar /arch/`,
          'RUN stat -c "%n %a %Y %s" /dl/hello.txt /named.txt && cat /dl/hello.txt && test -f /arch/archive.tar && test ! -e /arch/inside',
          '',
        ].join('\n'),
      });
      const first = await ok(['build', '-t', `addurl-${cli}`, dir]);
      assert.match(first, /^\/dl\/hello\.txt 600 1445412480 9$/m);
      assert.match(first, /^\/named\.txt 600 1445412480 9$/m);
      assert.match(first, /^hello v1$/m);
      const before = hits;
      const second = await ok(['build', '-t', `addurl-${cli}`, dir]);
      assert.equal(count(second, ' ---> Using cache'), 4, 'unchanged downloads hit the cache');
      assert.ok(hits >= before + 3, 'the files are fetched again to compare their content');
      served['/files/hello.txt'] = { body: Buffer.from('hello v2\n'), lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT' };
      const third = await ok(['build', '-t', `addurl-${cli}`, dir]);
      assert.equal(count(third, ' ---> Using cache'), 0, 'changed content reruns the ADD and what follows');
      assert.match(third, /^hello v2$/m);

      const missing = await context(`${cli}/addurl404`, { Dockerfile: `FROM busybox\nADD ${base}/nope /x\n` });
      const r = await run(['build', missing]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`ADD failed: failed to GET ${base}/nope with status 404 Not Found: no such file$`, 'm'));
      const noName = await context(`${cli}/addurl-noname`, { Dockerfile: `FROM busybox\nADD ${base}/files/ /x/\n` });
      served['/files/'] = { body: Buffer.from('index') };
      assert.match((await run(['build', noName])).stderr, new RegExp(`ADD failed: cannot determine filename from url: ${base}/files/`));
      assert.match(await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', `addurl-${cli}`]), /^\/bin\/sh -c #\(nop\) ADD [0-9a-f]{64} in \/dl\/ $/m);
      const copyUrl = await context(`${cli}/copyurl`, { Dockerfile: `FROM busybox\nCOPY ${base}/files/hello.txt /x\n` });
      assert.match((await run(['build', copyUrl])).stderr, /source can't be a URL for COPY/);
    });

    test('builder prune: dangling by default, --all, --filter label= and until=, df agrees', async () => {
      await run(['builder', 'prune', '-af']);
      const tagged = await context(`${cli}/p1`, { Dockerfile: 'FROM busybox\nRUN echo 1 > /one\n' });
      const labelled = await context(`${cli}/p2`, { Dockerfile: 'FROM busybox\nLABEL team=x\nRUN echo 2 > /two\n' });
      const plain = await context(`${cli}/p3`, { Dockerfile: 'FROM busybox\nRUN echo 3 > /three\n' });
      await ok(['build', '-t', `pruned-${cli}`, tagged]);
      await ok(['build', labelled]);
      await ok(['build', plain]);
      assert.match(await ok(['system', 'df']), /^Build Cache\s+4\s/m);

      const byLabel = await ok(['builder', 'prune', '-f', '--filter', 'label=team=x']);
      assert.match(byLabel, /^Deleted build cache objects:\n([0-9a-f]{25}\n){2}\nTotal reclaimed space: [1-9][\d.]*k?B\n$/);
      assert.match(await ok(['system', 'df']), /^Build Cache\s+2\s/m);
      assert.equal(await ok(['builder', 'prune', '-f', '--filter', 'until=1h']), 'Total reclaimed space: 0B\n', 'nothing is older than an hour');

      const dangling = await ok(['builder', 'prune', '-f']);
      assert.match(dangling, /^Deleted build cache objects:\n[0-9a-f]{25}\n\nTotal reclaimed space: [1-9][\d.]*k?B\n$/);
      assert.equal(count(await ok(['build', '-t', `pruned-${cli}`, tagged]), ' ---> Using cache'), 1, 'the tagged image\'s steps stay cached');
      assert.equal(count(await ok(['build', plain]), ' ---> Using cache'), 0);

      const all = await ok(['builder', 'prune', '-af']);
      assert.match(all, /^Deleted build cache objects:\n([0-9a-f]{25}\n){2}\n/);
      assert.match(await ok(['system', 'df']), /^Build Cache\s+0\s+0\s+0B\s+0B$/m);
      assert.equal(count(await ok(['build', '-t', `pruned-${cli}`, tagged]), ' ---> Using cache'), 0, '--all forgets them too');

      const bad = await run(['builder', 'prune', '-f', '--filter', 'color=red']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /Error response from daemon: failed to prune build cache: Invalid filter 'color'/);
    });

    test('a deep context: COPY of 1000 levels completes, 4000 levels is refused at once', async () => {
      const deep = await makeTar([{ name: 'Dockerfile', body: 'FROM busybox\nCOPY . /ctx/\nRUN test -f /ctx/' + 'd/'.repeat(1000) + 'deep\n' }, { name: `${'d/'.repeat(1000)}deep`, body: 'x' }]);
      const r = await api(h, 'POST', `/build?t=deep-${cli}&rm=1&forcerm=1`, deep, { contentType: 'application/x-tar', timeoutMs: 120_000 });
      assert.equal(r.status, 200);
      assert.match(r.body, /Successfully tagged deep-/);
      const deeper = await makeTar([{ name: 'Dockerfile', body: 'FROM busybox\nCOPY . /ctx/\n' }, { name: `${'d/'.repeat(4000)}deep`, body: 'x' }]);
      const r2 = await api(h, 'POST', `/build?rm=1&forcerm=1`, deeper, { contentType: 'application/x-tar', timeoutMs: 30_000 });
      assert.equal(r2.status, 400, r2.body);
      assert.match(r2.body, /longer than PATH_MAX/);
    });

    if (cli === 'berth') {
      test('berth build streams its context: a killed build leaves no temp files', async () => {
        const mine = async (): Promise<string[]> => (await readdir(tmpdir())).filter((n) => n.startsWith('berth-build-'));
        const before = await mine();
        const dir = await context(`${cli}/killed`, { Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n', 'big.bin': 'x'.repeat(1 << 20) });
        const child = spawn(process.execPath, [`${repoRoot}/bin/berth`, 'build', dir], { env: { ...h.env }, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        await new Promise<void>((resolve) => {
          child.stdout.on('data', (b: Buffer) => {
            out += b.toString();
            if (out.includes('started')) resolve();
          });
          child.on('close', () => resolve());
        });
        child.kill('SIGKILL');
        assert.match(out, /^Sending build context to Docker daemon {2}1\.0\d+MB$/m);
        assert.deepEqual((await mine()).filter((n) => !before.includes(n)), []);
        for (let i = 0; i < 75 && (await ok(['ps', '-aq'])).trim() !== ''; i++) await sleep(200);
      });
    }
  });
}
