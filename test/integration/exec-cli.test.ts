import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { BerthClient } from '../../src/client/berth-client.js';
import { ExecApi } from '../../src/client/exec-api.js';
import { parseHost } from '../../src/client/engine-host.js';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/** Runs a shell command line inside a real pseudo-terminal (util-linux script). */
function inPty(cmdline: string, env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('script', ['-qec', cmdline, '/dev/null'], { env, timeout: 30_000, encoding: 'utf8' }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout });
    });
  });
}

for (const cli of ['docker', 'berth'] as const) {
  describe(`exec via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000 });
    const bin = cli === 'docker' ? 'docker' : `${process.execPath} ${repoRoot}/bin/berth`;

    before(async () => {
      h = await startBerthd(`exec-${cli}`);
      await loadBusybox(h);
      const r = await run(['run', '-d', '--name', 'ex', '-e', 'FROM_CONTAINER=yes', 'busybox', 'sleep', '600']);
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => {
      await h?.stop();
    });

    test('exec returns the process exit code and separates stdout/stderr', async () => {
      const r = await run(['exec', 'ex', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.code, 3);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      const ok = await run(['exec', 'ex', 'true']);
      assert.equal(ok.code, 0, ok.stderr);
    });

    test('-e, --env-file, -w, -u; the container env is inherited', async () => {
      const envFile = `${h.root}/exec.env`;
      await writeFile(envFile, 'FROM_FILE=f\n# comment\n');
      const r = await run(['exec', '-e', 'A=1', '--env-file', envFile, '-w', '/tmp', '-u', 'nobody', 'ex', 'sh', '-c', 'echo $A $FROM_FILE $FROM_CONTAINER $(pwd) $(id -u)']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '1 f yes /tmp 65534\n');
    });

    test('-i forwards piped stdin', async () => {
      const r = await run(['exec', '-i', 'ex', 'sh', '-c', 'cat; echo done'], 'from stdin\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'from stdin\ndone\n');
    });

    test('-d runs in the background', async () => {
      const r = await run(['exec', '-d', 'ex', 'sh', '-c', `echo bg-${cli} > /tmp/bg`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      let seen = '';
      for (let i = 0; i < 50 && seen === ''; i++) {
        seen = (await run(['exec', 'ex', 'cat', '/tmp/bg'])).stdout.trim();
        if (seen === '') await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(seen, `bg-${cli}`);
    });

    test('--privileged widens the capability set', async () => {
      const plain = await run(['exec', 'ex', 'sh', '-c', 'grep CapEff /proc/self/status']);
      const priv = await run(['exec', '--privileged', 'ex', 'sh', '-c', 'grep CapEff /proc/self/status']);
      assert.equal(priv.code, 0, priv.stdout + priv.stderr);
      const mask = (s: string): bigint => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(s)?.[1] ?? '0'}`);
      assert.ok(mask(priv.stdout) > mask(plain.stdout), `${priv.stdout} vs ${plain.stdout}`);
    });

    test('a missing command exits 127 with the runtime message', async () => {
      const r = await run(['exec', 'ex', 'no-such-cmd']);
      assert.equal(r.code, 127);
      assert.match(r.stdout + r.stderr, /executable file not found/);
    });

    test('-it gives a terminal sized like the client', async () => {
      const r = await inPty(`stty rows 33 cols 101; ${bin} exec -it ex sh -c 'stty size; tty; exit 4'`, h.env);
      assert.equal(r.code, 4, r.out);
      assert.match(r.out, /33 101/);
      assert.match(r.out, /\/dev\/pts\/\d+/);
    });

    test('run -it: ctrl-p ctrl-q detaches and leaves the container running', async () => {
      const session = `berth-detach-${cli}-${process.pid}`;
      const tmux = (...args: string[]): Promise<{ code: number; out: string }> =>
        new Promise((resolve) => {
          execFile('tmux', args, { encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? 1 : 0, out: stdout }));
        });
      const envs = `DOCKER_HOST=${h.env.DOCKER_HOST ?? ''} DOCKER_CONFIG=${h.env.DOCKER_CONFIG ?? ''}`;
      const screen = async (want: RegExp): Promise<string> => {
        let text = '';
        for (let i = 0; i < 100 && !want.test(text); i++) {
          await new Promise((r) => setTimeout(r, 100));
          text = (await tmux('capture-pane', '-p', '-t', session)).out;
        }
        return text;
      };
      try {
        assert.equal((await tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `env ${envs} ${bin} run -it --name detachme busybox sh`)).code, 0);
        assert.match(await screen(/^\/ #/m), /^\/ #/m, 'the shell prompt');
        await tmux('send-keys', '-t', session, 'echo marker-$((40+2))', 'Enter');
        assert.match(await screen(/marker-42/), /marker-42/);
        await tmux('send-keys', '-t', session, 'C-p', 'C-q');
        let gone = false;
        for (let i = 0; i < 100 && !gone; i++) {
          await new Promise((r) => setTimeout(r, 100));
          gone = (await tmux('has-session', '-t', session)).code !== 0;
        }
        assert.ok(gone, 'the client exited');
        const st = await run(['inspect', '-f', '{{.State.Status}}', 'detachme']);
        assert.equal(st.stdout.trim(), 'running');
        const e = await run(['exec', 'detachme', 'echo', 'still-here']);
        assert.equal(e.stdout, 'still-here\n');
      } finally {
        await tmux('kill-session', '-t', session);
      }
    });

    test('exec into a stopped or missing container fails as in Docker', async () => {
      const created = await run(['create', '--name', 'stopped', 'busybox', 'true']);
      assert.equal(created.code, 0, created.stderr);
      const r = await run(['exec', 'stopped', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Error response from daemon: container [0-9a-f]{64} is not running/);
      const missing = await run(['exec', 'nope', 'true']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /No such container: nope/);
    });
  });
}

describe('exec API', () => {
  let h: BerthdHarness;
  let api: ExecApi;
  before(async () => {
    h = await startBerthd('exec-api');
    await loadBusybox(h);
    const r = await runCli('docker', ['run', '-d', '--name', 'ex', 'busybox', 'sleep', '600'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    api = new ExecApi(new BerthClient({ host: parseHost(h.dockerHost) }).transport);
  });
  after(async () => {
    await h?.stop();
  });

  test('inspect shows Running and Pid while it runs, then ExitCode', async () => {
    const { Id } = await api.create('ex', { Cmd: ['sh', '-c', 'sleep 1; exit 7'], Tty: true });
    const before = await api.inspect(Id);
    assert.equal(before.Running, false);
    assert.equal(before.ExitCode, null);
    assert.deepEqual(before.ProcessConfig, { arguments: ['-c', 'sleep 1; exit 7'], entrypoint: 'sh', privileged: false, tty: true });
    await api.startDetached(Id);
    const running = await api.inspect(Id);
    assert.equal(running.Running, true);
    assert.ok(running.Pid > 0);
    await api.resize(Id, { height: 20, width: 70 });
    let done = running;
    for (let i = 0; i < 50 && done.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = await api.inspect(Id);
    }
    assert.equal(done.Running, false);
    assert.equal(done.ExitCode, 7);
    await assert.rejects(api.startDetached(Id), /has already run/);
  });

  test('container inspect lists the created and running execs in ExecIDs', async () => {
    const execIds = async (): Promise<string[] | null> =>
      JSON.parse((await runCli('docker', ['inspect', '-f', '{{json .ExecIDs}}', 'ex'], { env: h.env })).stdout) as string[] | null;
    assert.equal(await execIds(), null);
    const { Id } = await api.create('ex', { Cmd: ['sleep', '1'] });
    assert.deepEqual(await execIds(), [Id]);
    await api.startDetached(Id);
    assert.deepEqual(await execIds(), [Id]);
    let ids = await execIds();
    for (let i = 0; i < 50 && ids !== null; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ids = await execIds();
    }
    assert.equal(ids, null, 'an exited exec leaves the list');
  });

  test('an unknown exec id is 404, an empty Cmd is 400', async () => {
    await assert.rejects(api.inspect('0123456789ab'), (err: Error & { statusCode?: number }) => /No such exec instance/.test(err.message));
    await assert.rejects(api.create('ex', { Cmd: [] }), /No exec command specified/);
  });
});
