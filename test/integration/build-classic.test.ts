import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadBusybox, mountsUnder, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const CTX_ROOT = '/dev/shm/berth-build-classic-test';

async function makeContext(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(CTX_ROOT, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

// The same assertions through the real docker CLI (classic builder) and through berth.
for (const cli of ['docker', 'berth'] as const) {
  describe(`build via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[], opts: { input?: string | Buffer; cwd?: string } = {}) =>
      runCli(cli, args, { env: { ...h.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000, ...opts });
    // Images are checked by running them through berth: `run` is not what these tests are about.
    const runImage = (args: string[]) => runCli('berth', ['run', '--rm', ...args], { env: h.env, timeoutMs: 60_000 });
    const inspect = async (ref: string, format: string): Promise<string> => {
      const r = await run(['image', 'inspect', '-f', format, ref]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };

    before(async () => {
      h = await startBerthd(`build-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
      await rm(join(CTX_ROOT, cli), { recursive: true, force: true });
      await rmdir(CTX_ROOT).catch(() => undefined);
    });

    test('every instruction lands in the image config, files and history', async () => {
      const dir = await makeContext(`${cli}/all`, {
        Dockerfile: [
          'ARG BASE=busybox',
          'FROM ${BASE}',
          'ARG WHO=nobody',
          'ENV GREETING="hello world" \\',
          '    HOME_DIR=/srv',
          'LABEL org.test.who=$WHO other="x y"',
          'WORKDIR $HOME_DIR/app',
          'COPY --chown=1:2 --chmod=640 files/ ./files/',
          'COPY *.txt /txt/',
          'ADD bundle.tar /unpacked/',
          'RUN echo "$GREETING from $WHO" > greeting && true',
          'RUN ["sh", "-c", "echo exec-form > /exec"]',
          'SHELL ["/bin/sh", "-ec"]',
          'RUN test "$(pwd)" = /srv/app',
          'EXPOSE 80 53/udp',
          'USER nobody',
          'HEALTHCHECK --interval=5s --retries=3 CMD true',
          'STOPSIGNAL SIGTERM',
          'ONBUILD RUN echo triggered',
          'ENTRYPOINT ["/bin/sh", "-c"]',
          'CMD ["cat /srv/app/greeting"]',
          '',
        ].join('\n'),
        'files/a': 'A',
        'files/sub/b': 'B',
        'one.txt': '1',
        'two.txt': '2',
      });
      execFileSync('sh', ['-c', `mkdir -p ${dir}/t && echo inside > ${dir}/t/in.txt && tar -cf ${dir}/bundle.tar -C ${dir}/t in.txt && rm -r ${dir}/t`]);
      const b = await run(['build', '-t', `all-${cli}`, '--build-arg', 'WHO=tester', dir]);
      assert.equal(b.code, 0, b.stderr + b.stdout);
      assert.match(b.stdout, /^Step 1\/20 : ARG BASE=busybox$/m);
      assert.match(b.stdout, /^Step 2\/20 : FROM \$\{BASE\}$/m);
      assert.match(b.stdout, /^ ---> Running in ([0-9a-f]{12})\n(?:.*\n)*?Removing intermediate container \1$/m);
      assert.match(b.stdout, /^Successfully built [0-9a-f]{12}$/m);
      assert.match(b.stdout, new RegExp(`^Successfully tagged all-${cli}:latest$`, 'm'));

      const cfg = JSON.parse(await inspect(`all-${cli}`, '{{json .Config}}')) as Record<string, unknown>;
      assert.deepEqual((cfg['Env'] as string[]).filter((e) => !e.startsWith('PATH=')), ['GREETING=hello world', 'HOME_DIR=/srv']);
      assert.deepEqual(cfg['Labels'], { 'org.test.who': 'tester', other: 'x y' });
      assert.equal(cfg['WorkingDir'], '/srv/app');
      assert.equal(cfg['User'], 'nobody');
      assert.deepEqual(cfg['ExposedPorts'], { '80/tcp': {}, '53/udp': {} });
      assert.deepEqual(cfg['Healthcheck'], { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Retries: 3 });
      assert.equal(cfg['StopSignal'], 'SIGTERM');
      assert.deepEqual(cfg['OnBuild'], ['RUN echo triggered']);
      assert.deepEqual(cfg['Shell'], ['/bin/sh', '-ec']);
      assert.deepEqual(cfg['Entrypoint'], ['/bin/sh', '-c']);
      assert.deepEqual(cfg['Cmd'], ['cat /srv/app/greeting']);

      const r = await runImage([`all-${cli}`]);
      assert.equal(r.stdout, 'hello world from tester\n', r.stderr);
      const files = await runImage([
        '--entrypoint', 'sh', '-u', '0', `all-${cli}`, '-c',
        'stat -c "%n %u:%g %a" files/a files/sub/b; cat /txt/one.txt /txt/two.txt /unpacked/in.txt /exec',
      ]);
      assert.equal(files.stdout, 'files/a 1:2 640\nfiles/sub/b 1:2 640\n12inside\nexec-form\n', files.stderr);

      const hist = await run(['history', '--no-trunc', '--format', '{{.CreatedBy}}', `all-${cli}`]);
      const lines = hist.stdout.split('\n');
      assert.ok(lines.includes('/bin/sh -ec #(nop)  CMD ["cat /srv/app/greeting"]'), hist.stdout);
      assert.ok(lines.includes('/bin/sh -c #(nop) WORKDIR /srv/app'), hist.stdout);
      assert.ok(lines.includes('/bin/sh -ec #(nop)  EXPOSE 53/udp 80'), hist.stdout);
      assert.ok(lines.includes('|1 WHO=tester /bin/sh -c echo "$GREETING from $WHO" > greeting && true'), hist.stdout);
      assert.ok(lines.some((l) => /^\/bin\/sh -c #\(nop\) COPY dir:[0-9a-f]{64} in \.\/files\/ $/.test(l)), hist.stdout);

      // ONBUILD triggers run in a child build
      const child = await makeContext(`${cli}/child`, { Dockerfile: `FROM all-${cli}\nRUN true\n` });
      const c = await run(['build', child]);
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /# Executing 1 build trigger\n/);
      assert.match(c.stdout, /^triggered$/m);
    });

    test('multi-stage: --target builds only the stages it needs, COPY --from', async () => {
      const dir = await makeContext(`${cli}/multi`, {
        Dockerfile: [
          'FROM busybox AS builder',
          'RUN echo built > /artifact',
          'FROM busybox AS broken',
          'RUN exit 1',
          'FROM scratch AS final',
          'COPY --from=builder /artifact /artifact',
          'FROM broken',
          '',
        ].join('\n'),
      });
      const b = await run(['build', '--target', 'final', '-t', `multi-${cli}`, dir]);
      assert.equal(b.code, 0, b.stderr + b.stdout);
      assert.doesNotMatch(b.stdout, /exit 1/);
      assert.match(b.stdout, /^Step 4\/4 : COPY --from=builder \/artifact \/artifact$/m);
      const layers = JSON.parse(await inspect(`multi-${cli}`, '{{json .RootFS.Layers}}')) as string[];
      assert.equal(layers.length, 1);
      const save = await run(['save', `multi-${cli}`]);
      assert.equal(save.code, 0);
      const missing = await run(['build', '--target', 'nope', dir]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /failed to reach build target nope in Dockerfile/);
    });

    test('cache: unchanged rebuild reuses every step, a changed file reruns only later steps, --no-cache', async () => {
      const dir = await makeContext(`${cli}/cache`, {
        Dockerfile: 'FROM busybox\nRUN echo first > /first\nCOPY data.txt /data.txt\nRUN cat /data.txt\nCMD ["cat", "/data.txt"]\n',
        'data.txt': 'v1\n',
      });
      const first = await run(['build', '-t', `cache-${cli}`, dir]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(count(first.stdout, ' ---> Using cache'), 0);
      const started = Date.now();
      const second = await run(['build', '-t', `cache-${cli}`, dir]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(count(second.stdout, ' ---> Using cache'), 4);
      assert.doesNotMatch(second.stdout, /Running in/);
      assert.ok(Date.now() - started < 3000, 'a fully cached build is quick');
      const id1 = await inspect(`cache-${cli}`, '{{.Id}}');

      await writeFile(join(dir, 'data.txt'), 'v2\n');
      const third = await run(['build', '-t', `cache-${cli}`, dir]);
      assert.equal(third.code, 0, third.stderr);
      assert.equal(count(third.stdout, ' ---> Using cache'), 1, 'only the RUN before the COPY');
      assert.match(third.stdout, /^v2$/m);
      assert.notEqual(await inspect(`cache-${cli}`, '{{.Id}}'), id1);

      const fresh = await run(['build', '--no-cache', dir]);
      assert.equal(fresh.code, 0, fresh.stderr);
      assert.equal(count(fresh.stdout, ' ---> Using cache'), 0);

      // --all: also the steps of the tagged image (without it only dangling cache goes, build-extras.test.ts)
      const prune = await run(['builder', 'prune', '-af']);
      assert.equal(prune.code, 0, prune.stderr);
      // the v1 tail and the --no-cache build are held by no tag: their step images go (build-cache-images.test.ts)
      assert.match(prune.stdout, /^Deleted build cache objects:\n(?:[0-9a-f]{25}\n)+\nTotal reclaimed space: [1-9][\d.]*k?B\n$/);
      const afterPrune = await run(['build', dir]);
      assert.equal(afterPrune.code, 0, afterPrune.stderr);
      assert.equal(count(afterPrune.stdout, ' ---> Using cache'), 0, 'the cache is gone after builder prune');
    });

    test('COPY layers are deterministic: identical inputs give identical layer digests', async () => {
      const dir = await makeContext(`${cli}/determinism`, {
        Dockerfile: 'FROM busybox\nCOPY f /etc/f\nCOPY d /newdir/sub/\nWORKDIR /w\nCOPY f rel\n',
        f: 'file',
        'd/x': 'x',
        'd/y/z': 'z',
      });
      const a = await run(['build', '--no-cache', '-t', `det-a-${cli}`, dir]);
      assert.equal(a.code, 0, a.stderr);
      const b = await run(['build', '--no-cache', '-t', `det-b-${cli}`, dir]);
      assert.equal(b.code, 0, b.stderr);
      const layersA = await inspect(`det-a-${cli}`, '{{json .RootFS.Layers}}');
      assert.equal(JSON.parse(layersA).length, 4);
      assert.equal(await inspect(`det-b-${cli}`, '{{json .RootFS.Layers}}'), layersA);
    });

    test('RUN honours --network and --add-host', async () => {
      const dir = await makeContext(`${cli}/network`, { Dockerfile: 'FROM busybox\nRUN grep myhost /etc/hosts && grep -c : /proc/net/dev\n' });
      const b = await run(['build', '--network', 'none', '--add-host', 'myhost:10.1.2.3', dir]);
      assert.equal(b.code, 0, b.stderr + b.stdout);
      assert.match(b.stdout, /^10\.1\.2\.3\s+myhost\n1\n/m, 'only loopback with --network none');
    });

    test('.dockerignore excludes files, ! re-includes, ** matches any depth', async () => {
      const dir = await makeContext(`${cli}/ignore`, {
        Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && find . -type f | sort\n',
        '.dockerignore': '*.log\n!keep.log\n**/secret\n',
        'a.log': 'x',
        'keep.log': 'k',
        'deep/er/secret': 's',
        'deep/ok': 'o',
      });
      const b = await run(['build', dir]);
      assert.equal(b.code, 0, b.stderr);
      assert.match(b.stdout, /\.\/keep\.log/);
      assert.match(b.stdout, /\.\/deep\/ok/);
      assert.doesNotMatch(b.stdout, /a\.log|secret/);
    });

    test('heredocs: RUN <<EOF and COPY <<EOF', async () => {
      const dir = await makeContext(`${cli}/heredoc`, {
        Dockerfile: 'FROM busybox\nENV NAME=doc\nRUN <<EOF\necho line1 > /h\necho line2 >> /h\nEOF\nCOPY <<EOF /greeting\nhello $NAME\nEOF\nCMD cat /h /greeting\n',
      });
      const b = await run(['build', '-t', `heredoc-${cli}`, dir]);
      assert.equal(b.code, 0, b.stderr + b.stdout);
      const r = await runImage([`heredoc-${cli}`]);
      assert.equal(r.stdout, 'line1\nline2\nhello doc\n', r.stderr);
    });

    test('Dockerfile from stdin, a tarball context on stdin, -q and --iidfile', async () => {
      const s = await run(['build', '-t', `stdin-${cli}`, '-'], { input: 'FROM busybox\nVOLUME /data\nRUN echo from-stdin\n' });
      assert.equal(s.code, 0, s.stderr);
      assert.equal(await inspect(`stdin-${cli}`, '{{json .Config.Volumes}}'), '{"/data":{}}');
      assert.match(s.stdout, /^from-stdin$/m);
      const dir = await makeContext(`${cli}/tarctx`, { Dockerfile: 'FROM busybox\nCOPY f /f\n', f: 'tarball' });
      const tarball = execFileSync('tar', ['-cf', '-', '-C', dir, '.']);
      const iid = join(CTX_ROOT, cli, 'iid');
      const t = await run(['build', '-q', '--iidfile', iid, '-'], { input: tarball });
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /^sha256:[0-9a-f]{64}\n$/);
      assert.equal((await readFile(iid, "utf8")).trim(), t.stdout.trim());
    });

    test('a client that goes away mid-RUN: the step container is killed and removed', async () => {
      const dir = await makeContext(`${cli}/abort`, { Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n' });
      const [cmd, argv] = cli === 'berth' ? [process.execPath, [`${repoRoot}/bin/berth`, 'build', dir]] : ['docker', ['build', dir]];
      const child = spawn(cmd, argv, { env: { ...h.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('started')) resolve();
        });
        child.on('close', () => resolve());
      });
      child.kill('SIGKILL');
      const deadline = Date.now() + 15_000;
      let ps = '';
      while (Date.now() < deadline) {
        ps = (await run(['ps', '-aq'])).stdout.trim();
        if (ps === '') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(out, /started/);
      assert.equal(ps, '', 'the build container is gone');
    });

    test('bad input: Docker\'s messages and exit codes, nothing left behind', async () => {
      const unknown = await makeContext(`${cli}/unknown`, { Dockerfile: 'FROM busybox\nFOO bar\n' });
      const u = await run(['build', unknown]);
      assert.equal(u.code, 1);
      assert.match(u.stderr, /Error response from daemon: dockerfile parse error on line 2: unknown instruction: FOO/);

      const outside = await makeContext(`${cli}/outside`, { Dockerfile: 'FROM busybox\nCOPY ../x /x\n' });
      const o = await run(['build', outside]);
      assert.equal(o.code, 1);
      assert.match(o.stderr, /COPY failed: forbidden path outside the build context: \.\.\/x \(\)/);

      const link = await makeContext(`${cli}/link`, { Dockerfile: 'FROM busybox\nCOPY escape /x\n' });
      await symlink('/etc/passwd', join(link, 'escape'));
      const l = await run(['build', link]);
      assert.equal(l.code, 1);
      assert.match(l.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat escape: file does not exist/);

      const failing = await makeContext(`${cli}/failing`, { Dockerfile: 'FROM busybox\nRUN echo before-fail && exit 3\n' });
      // --force-rm: Docker keeps a failed step's container otherwise (build-cache-images.test.ts)
      const f = await run(['build', '--force-rm', failing]);
      assert.equal(f.code, 3);
      assert.match(f.stdout, /^before-fail$/m);
      assert.match(f.stderr, /The command '\/bin\/sh -c echo before-fail && exit 3' returned a non-zero code: 3/);

      const noImage = await makeContext(`${cli}/noimage`, { Dockerfile: 'FROM no-such-image-here\n' });
      const n = await run(['build', noImage]);
      assert.equal(n.code, 1);
      assert.match(n.stderr, /no-such-image-here/);

      // fails inside the mounted rootfs: the mount and its temp dirs must go
      const chown = await makeContext(`${cli}/chown`, { Dockerfile: 'FROM busybox\nCOPY --chown=nosuchuser f /f\n', f: 'x' });
      const c = await run(['build', chown]);
      assert.equal(c.code, 1);
      assert.match(c.stderr, /unable to convert uid\/gid chown string to host mapping: can't find uid for user nosuchuser: no such user: nosuchuser/);

      const badTar = execFileSync('python3', ['-c', [
        'import io, sys, tarfile',
        'b = io.BytesIO()',
        't = tarfile.open(fileobj=b, mode="w")',
        // 32 MiB after the bad entry: the daemon refuses the context while the CLI is still sending it
        'for name, data in (("Dockerfile", b"FROM busybox\\n"), ("../evil", b"x"), ("big", bytes(32 << 20))):',
        '    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))',
        't.close(); sys.stdout.buffer.write(b.getvalue())',
      ].join('\n')], { maxBuffer: 64 << 20 });
      const t = await run(['build', '-'], { input: badTar });
      assert.equal(t.code, 1);
      assert.match(t.stderr, /invalid build context: path "\.\.\/evil" escapes the context/);

      const ps = await run(['ps', '-aq']);
      assert.equal(ps.stdout.trim(), '', 'no build container is left');
      assert.deepEqual(await mountsUnder(h.dataRoot), [], 'no mount is left under the data root');
      const tmp = await readdir(join(h.dataRoot, 'tmp')).catch(() => [] as string[]);
      assert.deepEqual(tmp.filter((e) => e.startsWith('build-')), [], 'no temp build dir is left');
    });
  });
}
