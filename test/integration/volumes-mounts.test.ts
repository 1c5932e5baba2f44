import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// The same assertions run through the real docker CLI and through berth.
for (const cli of ['docker', 'berth'] as const) {
  describe(`volumes and mounts via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000 });
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };

    before(async () => {
      h = await startBerthd(`vol-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('volume create, ls with filters, inspect, rm', async () => {
      assert.equal(await ok(['volume', 'create', '--label', 'tier=db', 'vdata']), 'vdata\n');
      assert.equal(await ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'o=size=1m', 'vtmp']), 'vtmp\n');
      const anon = (await ok(['volume', 'create'])).trim();
      assert.match(anon, /^[0-9a-f]{64}$/);
      const ls = await ok(['volume', 'ls']);
      assert.match(ls, /^DRIVER\s+VOLUME NAME\n/);
      assert.match(ls, /^local\s+vdata$/m);
      assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'label=tier=db']), 'vdata\n');
      assert.equal(await ok(['volume', 'ls', '-q', '--filter', 'name=vtm']), 'vtmp\n');
      assert.equal((await ok(['volume', 'ls', '-q', '--filter', 'dangling=true'])).split('\n').filter(Boolean).length, 3);
      const [v] = JSON.parse(await ok(['volume', 'inspect', 'vdata'])) as Record<string, unknown>[];
      assert.equal(v?.['Name'], 'vdata');
      assert.equal(v?.['Driver'], 'local');
      assert.equal(v?.['Scope'], 'local');
      assert.deepEqual(v?.['Labels'], { tier: 'db' });
      assert.equal(v?.['Mountpoint'], `${h.dataRoot}/volumes/vdata/_data`);
      assert.match(String(v?.['CreatedAt']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
      assert.equal(await ok(['volume', 'inspect', '-f', '{{.Options.type}}', 'vtmp']), 'tmpfs\n');
      const missing = await run(['volume', 'inspect', 'nope']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /get nope: no such volume/);
      const df = await ok(['run', '--rm', '-v', 'vtmp:/t', 'busybox', 'sh', '-c', 'df /t | tail -1']);
      assert.match(df, /^tmpfs\s+1024\s/);
      assert.equal(await ok(['volume', 'rm', anon, 'vtmp']), `${anon}\nvtmp\n`);
      assert.equal(existsSync(`${h.dataRoot}/volumes/vtmp`), false);
    });

    test('named volume keeps data between containers; ro; bind mounts; tmpfs; --read-only', async () => {
      await ok(['run', '--rm', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
      assert.equal(await ok(['run', '--rm', '-v', 'keep:/data:ro', 'busybox', 'cat', '/data/f']), 'kept\n');
      const ro = await run(['run', '--rm', '-v', 'keep:/data:ro', 'busybox', 'touch', '/data/g']);
      assert.notEqual(ro.code, 0);
      assert.match(ro.stderr, /Read-only file system/);
      const hostDir = `${h.root}/bind-${cli}`;
      await mkdir(hostDir, { recursive: true });
      await writeFile(`${hostDir}/in`, 'from host\n');
      assert.equal(await ok(['run', '--rm', '-v', `${hostDir}:/h`, 'busybox', 'sh', '-c', 'cat /h/in; echo back > /h/out']), 'from host\n');
      assert.equal(await readFile(`${hostDir}/out`, 'utf8'), 'back\n');
      // -v creates a missing bind source, as Docker does
      await ok(['run', '--rm', '-v', `${hostDir}/made/here:/m`, 'busybox', 'true']);
      assert.equal(existsSync(`${hostDir}/made/here`), true);
      const tmpfs = await ok(['run', '--rm', '--tmpfs', '/run:size=64m', 'busybox', 'sh', '-c', 'grep " /run " /proc/mounts']);
      assert.match(tmpfs, /^tmpfs \/run tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k/);
      const rofs = await ok(['run', '--rm', '--read-only', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'touch /data/w && echo vol-ok; touch /x 2>/dev/null || echo root-ro']);
      assert.equal(rofs, 'vol-ok\nroot-ro\n');
    });

    test('copy-up fills a new volume from the image, keeping owners and modes', async () => {
      const out = await ok(['run', '--rm', '-v', 'cu:/etc', 'busybox', 'sh', '-c', 'ls /etc/passwd && stat -c "%a %u" /etc/passwd']);
      assert.equal(out, '/etc/passwd\n644 0\n');
      assert.equal(existsSync(`${h.dataRoot}/volumes/cu/_data/passwd`), true);
      // anonymous volumes are copied up too, and `run --rm` removes them again
      const before = await ok(['volume', 'ls', '-q']);
      assert.equal(await ok(['run', '--rm', '-v', '/etc', 'busybox', 'cat', '/etc/group']), await ok(['run', '--rm', 'busybox', 'cat', '/etc/group']));
      assert.equal(await ok(['volume', 'ls', '-q']), before);
    });

    test('inspect shows Mounts; a volume in use cannot be removed; rm -v takes anonymous volumes', async () => {
      const id = (await ok(['create', '--name', `user-${cli}`, '-v', 'inuse:/data', '-v', '/anon', 'busybox', 'true'])).trim();
      const mounts = JSON.parse(await ok(['inspect', '-f', '{{json .Mounts}}', id])) as Record<string, unknown>[];
      const named = mounts.find((m) => m['Destination'] === '/data');
      assert.deepEqual(named, {
        Type: 'volume', Name: 'inuse', Source: `${h.dataRoot}/volumes/inuse/_data`, Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '',
      });
      const anon = mounts.find((m) => m['Destination'] === '/anon');
      assert.match(String(anon?.['Name']), /^[0-9a-f]{64}$/);
      const rm = await run(['volume', 'rm', 'inuse']);
      assert.equal(rm.code, 1);
      assert.equal(rm.stderr.trim(), `Error response from daemon: remove inuse: volume is in use - [${id}]`);
      const forced = await run(['volume', 'rm', '-f', 'inuse']);
      assert.equal(forced.code, 1, 'force does not remove a volume in use');
      assert.equal(existsSync(`${h.dataRoot}/volumes/inuse/_data`), true);
      await ok(['rm', '-v', id]);
      const names = await ok(['volume', 'ls', '-q']);
      assert.doesNotMatch(names, new RegExp(String(anon?.['Name'])));
      assert.match(names, /^inuse$/m, 'named volumes stay after rm -v');
    });

    test('volume prune removes unused anonymous volumes, --all the named ones too', async () => {
      for (const v of (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean)) await run(['volume', 'rm', v]);
      await ok(['volume', 'create', 'pnamed']);
      const anon = (await ok(['volume', 'create'])).trim();
      await ok(['run', '--rm', '-v', `${anon}:/x`, 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /x/f']);
      const p = await ok(['volume', 'prune', '-f']);
      assert.equal(p, `Deleted Volumes:\n${anon}\n\nTotal reclaimed space: 5kB\n`);
      assert.equal(await ok(['volume', 'ls', '-q']), 'pnamed\n');
      assert.equal(await ok(['volume', 'prune', '-f', '--all']), 'Deleted Volumes:\npnamed\n\nTotal reclaimed space: 0B\n');
      assert.equal(await ok(['volume', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    });

    test('bad mount specifications are refused and change nothing', async () => {
      const rel = await run(['run', '--rm', '-v', 'rel/dir:/x', 'busybox', 'true']);
      assert.equal(rel.code, 125);
      assert.match(rel.stderr, /"rel\/dir" includes invalid characters for a local volume name, only "\[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]" are allowed\. If you intended to pass a host directory, use absolute path/);
      const target = await run(['run', '--rm', '-v', 'vv:relative', 'busybox', 'true']);
      assert.equal(target.code, 125);
      assert.match(target.stderr, /invalid mount path: 'relative' mount path must be absolute/);
      assert.doesNotMatch(await ok(['volume', 'ls', '-q']), /^vv$/m);
      assert.equal((await ok(['ps', '-aq'])).trim(), '');
    });
  });
}

describe('mount options only the docker CLI has', () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  before(async () => {
    h = await startBerthd('vol-mount');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('--mount bind requires an existing source; the host is untouched', async () => {
    const r = await run(['run', '--rm', '--mount', `type=bind,source=${h.root}/no-such-dir,target=/x`, 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${h.root}/no-such-dir`));
    assert.equal(existsSync(`${h.root}/no-such-dir`), false);
    const t = await run(['run', '--rm', '--mount', 'type=volume,target=rel', 'busybox', 'true']);
    assert.equal(t.code, 125);
    assert.match(t.stderr, /invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute/);
  });

  test('--mount volume/tmpfs, volume-nocopy, --volumes-from', async () => {
    const tmp = await run(['run', '--rm', '--mount', 'type=tmpfs,target=/scratch,tmpfs-size=1048576', 'busybox', 'sh', '-c', 'grep " /scratch " /proc/mounts']);
    assert.match(tmp.stdout, /size=1024k/);
    const nocopy = await run(['run', '--rm', '--mount', 'type=volume,source=nc,target=/etc,volume-nocopy', 'busybox', 'ls', '/etc']);
    assert.doesNotMatch(nocopy.stdout, /passwd/);
    const copy = await run(['run', '--rm', '--mount', 'type=volume,source=wc,target=/etc', 'busybox', 'ls', '/etc']);
    assert.match(copy.stdout, /passwd/);
    const src = await run(['create', '--name', 'vsrc', '-v', 'shared:/shared', 'busybox', 'true']);
    assert.equal(src.code, 0, src.stderr);
    await run(['run', '--rm', '-v', 'shared:/shared', 'busybox', 'sh', '-c', 'echo s > /shared/f']);
    const from = await run(['run', '--rm', '--volumes-from', 'vsrc:ro', 'busybox', 'sh', '-c', 'cat /shared/f; touch /shared/g 2>/dev/null || echo ro']);
    assert.equal(from.stdout, 's\nro\n');
  });

  test('--mount bind-recursive=disabled (BindOptions.NonRecursive) leaves out the mounts under the source; BindOptions.CreateMountpoint makes the source', async () => {
    const src = `${h.root}/rbind-src`;
    await mkdir(`${src}/sub`, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', `${src}/sub`]);
    try {
      await writeFile(`${src}/sub/inner`, 'inner\n');
      const recursive = await run(['run', '--rm', '--mount', `type=bind,source=${src},target=/m`, 'busybox', 'sh', '-c', 'cat /m/sub/inner 2>/dev/null || echo absent']);
      assert.equal(recursive.stdout, 'inner\n', recursive.stderr);
      const flat = await run(['run', '--rm', '--mount', `type=bind,source=${src},target=/m,bind-recursive=disabled`, 'busybox', 'sh', '-c', 'cat /m/sub/inner 2>/dev/null || echo absent']);
      assert.equal(flat.stdout, 'absent\n', flat.stderr);
    } finally {
      execFileSync('umount', [`${src}/sub`]);
    }
    // The docker CLI v28 has no flag for it: BindOptions.CreateMountpoint through the API.
    const created = `${h.root}/made-by-mount/deeper`;
    const body = { Image: 'busybox', Cmd: ['sh', '-c', 'echo here > /n/f'], HostConfig: { Mounts: [{ Type: 'bind', Source: created, Target: '/n', BindOptions: { CreateMountpoint: true } }] } };
    const status = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath: h.socket, method: 'POST', path: '/containers/create?name=mkmount', headers: { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    assert.match(status, /^201 /);
    const started = await run(['start', '-a', 'mkmount']);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(await readFile(`${created}/f`, 'utf8'), 'here\n');
    await run(['rm', 'mkmount']);
  });

  test('--mount volume-subpath (VolumeOptions.Subpath) mounts a directory of the volume; an escaping subpath is refused', async () => {
    assert.equal((await run(['run', '--rm', '-v', 'subv:/d', 'busybox', 'sh', '-c', 'mkdir -p /d/a/b && echo deep > /d/a/b/f'])).code, 0);
    const sub = await run(['run', '--rm', '--mount', 'type=volume,source=subv,target=/s,volume-subpath=a/b', 'busybox', 'cat', '/s/f']);
    assert.equal(sub.stdout, 'deep\n', sub.stderr);
    const bad = await run(['run', '--rm', '--mount', 'type=volume,source=subv,target=/s,volume-subpath=../x', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /subpath must be a relative path within the volume/);
  });
});
