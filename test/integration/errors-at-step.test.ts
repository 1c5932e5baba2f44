import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBusybox, mountsUnder, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/**
 * Errors come from the endpoint dockerd gives them from (create or start),
 * with its status and text, so a client takes the branch it takes with
 * Docker. Expectations measured on Debian's dockerd 20.10.
 */
/** POST /build with a one-Dockerfile context: the status and the body. */
function build(socket: string, dockerfile: string, query = ''): Promise<{ status: number; body: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-err-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    const tar = execFileSync('tar', ['-C', dir, '-c', 'Dockerfile']);
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: socket, method: 'POST', path: `/build${query}`, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': tar.length } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(tar);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('errors at the step dockerd gives them', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('errors-at-step');
    await loadBusybox(h);
  });
  after(async () => {
    await h?.stop();
  });

  test('--network of a missing network: created, the start fails with 404 "network X not found", no pull', async () => {
    const run = await docker(['run', '--name', 'nonet', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.equal(run.code, 125);
    assert.match(run.stderr, /Error response from daemon: network nosuchnet not found/);
    // A 404 at create would make the CLI take it for a missing image and pull.
    assert.doesNotMatch(run.stderr, /Unable to find image/);
    const state = await docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}} {{.HostConfig.NetworkMode}}', 'nonet']);
    assert.equal(state.stdout.trim(), 'created 128 network nosuchnet not found nosuchnet');
    // The network made afterwards is the one the container joins at its next start.
    assert.equal((await docker(['network', 'create', 'nosuchnet'])).code, 0);
    const start = await docker(['start', '-a', 'nonet']);
    assert.equal(start.code, 0, start.stderr);
    const nets = await docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}', 'nonet']);
    assert.equal(nets.stdout.trim(), 'nosuchnet');
    assert.equal((await docker(['rm', 'nonet'])).code, 0);
    assert.equal((await docker(['network', 'rm', 'nosuchnet'])).code, 0);
  });

  test('an unknown user: created, the start is a 500 with dockerd\'s text', async () => {
    const run = await docker(['run', '--name', 'nouser', '-u', 'nosuchuser', 'busybox', 'true']);
    assert.equal(run.code, 125);
    assert.match(run.stderr, /unable to find user nosuchuser: no matching entries in passwd file/);
    assert.equal((await docker(['inspect', '-f', '{{.State.Status}}', 'nouser'])).stdout.trim(), 'created');
    await docker(['rm', 'nouser']);
  });

  test('a missing command: created, the start fails, exit code 127 as dockerd', async () => {
    const run = await docker(['run', '--name', 'nobin', 'busybox', 'nosuchbin']);
    assert.equal(run.code, 127);
    assert.match(run.stderr, /executable file not found in \$PATH/);
    assert.equal((await docker(['inspect', '-f', '{{.State.ExitCode}}', 'nobin'])).stdout.trim(), '127');
    await docker(['rm', 'nobin']);
  });

  test('a working directory that is a file: the create is a 500 with dockerd\'s text, nothing created, nothing mounted', async () => {
    const before = (await docker(['ps', '-aq'])).stdout;
    const run = await docker(['run', '--name', 'wdfile', '-w', '/bin/sh', 'busybox', 'pwd']);
    assert.equal(run.code, 125);
    assert.match(run.stderr, /Error response from daemon: Cannot mkdir: \/bin\/sh is not a directory/);
    // A file on the way is the resolver's lstat error (dockerd names its own rootfs path).
    const deeper = await docker(['create', '-w', '/etc/passwd/x', 'busybox', 'pwd']);
    assert.equal(deeper.code, 1);
    assert.match(deeper.stderr, /Error response from daemon: lstat \S+\/etc\/passwd\/x: not a directory/);
    // Through a symlink inside the rootfs (busybox's /bin/sh → busybox binary): the same check.
    assert.equal((await docker(['ps', '-aq'])).stdout, before);
    assert.deepEqual((await mountsUnder(h.root)).filter((m) => m.includes('create-rootfs')), []);
    // A missing directory is fine: created at start.
    const ok = await docker(['run', '--rm', '-w', '/new/dir', 'busybox', 'pwd']);
    assert.equal(ok.stdout.trim(), '/new/dir', ok.stderr);
  });

  test('classic build: RUN --mount answers 200 and fails its step in the stream; a missing Dockerfile is a 500', async () => {
    const mount = await build(h.socket, 'FROM busybox\nRUN --mount=type=cache,target=/x true\n');
    assert.equal(mount.status, 200, mount.body);
    assert.match(mount.body, /Step 2\/2 : RUN --mount=type=cache,target=\/x true/);
    assert.match(mount.body, /"errorDetail":\{"message":"the --mount option requires BuildKit\. Refer to https:\/\/docs\.docker\.com\/go\/buildkit\/ to learn how to build images with BuildKit enabled"\}/);
    const missing = await build(h.socket, 'FROM busybox\n', '?dockerfile=nope');
    assert.equal(missing.status, 500);
    assert.equal(JSON.parse(missing.body).message, 'Cannot locate specified Dockerfile: nope');
  });
});
