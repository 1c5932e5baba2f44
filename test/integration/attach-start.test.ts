import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tmux(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('tmux', args, { encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? 1 : 0, out: stdout }));
  });
}

for (const cli of ['docker', 'berth'] as const) {
  describe(`start -a/-ai and attach via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000 });
    const bin = cli === 'docker' ? 'docker' : `${process.execPath} ${repoRoot}/bin/berth`;

    before(async () => {
      h = await startBerthd(`attach-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('start -a streams output and returns the exit code', async () => {
      assert.equal((await run(['create', '--name', 'sa', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3'])).code, 0);
      const r = await run(['start', '-a', 'sa']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      // Again: a second start -a of the same container sees only the new run's output.
      const again = await run(['start', '-a', 'sa']);
      assert.equal(again.code, 3);
      assert.equal(again.stdout, 'out\n');
    });

    test('start -ai forwards piped stdin', async () => {
      assert.equal((await run(['create', '-i', '--name', 'sai', 'busybox', 'sh', '-c', 'read x; echo got-$x'])).code, 0);
      const r = await run(['start', '-ai', 'sai'], 'hello\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'got-hello\n');
    });

    test('attach to a stopped container fails as in Docker', async () => {
      assert.equal((await run(['create', '--name', 'stopped', 'busybox', 'true'])).code, 0);
      const r = await run(['attach', 'stopped']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /You cannot attach to a stopped container, start it first/);
      const missing = await run(['attach', 'nope']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /No such container: nope/);
    });

    test('attach to a running TTY container: size, resize, detach, exit code', async () => {
      const session = `berth-attach-${cli}-${process.pid}`;
      const exitFile = `${h.root}/attach-exit-${cli}`;
      const envs = `DOCKER_HOST=${h.env.DOCKER_HOST ?? ''} DOCKER_CONFIG=${h.env.DOCKER_CONFIG ?? ''}`;
      /** The client and the daemon resize asynchronously: ask `stty size` until it settles. */
      const sizeIs = async (want: string): Promise<string> => {
        let text = '';
        for (let i = 0; i < 10 && !new RegExp(`^${want}$`, 'm').test(text); i++) {
          await tmux('send-keys', '-t', session, 'clear; stty size', 'Enter');
          await sleep(300);
          text = (await tmux('capture-pane', '-p', '-t', session)).out;
        }
        return text;
      };
      const gone = async (): Promise<boolean> => {
        for (let i = 0; i < 100; i++) {
          if ((await tmux('has-session', '-t', session)).code !== 0) return true;
          await sleep(100);
        }
        return false;
      };
      assert.equal((await run(['run', '-dit', '--name', 'tty', 'busybox', 'sh'])).code, 0);
      const attach = (): Promise<{ code: number; out: string }> =>
        tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `env ${envs} ${bin} attach tty; echo $? > ${exitFile}`);
      try {
        assert.equal((await attach()).code, 0);
        assert.match(await sizeIs('30 100'), /^30 100$/m, 'the TTY follows the client terminal');
        await tmux('resize-window', '-t', session, '-x', '90', '-y', '25');
        assert.match(await sizeIs('25 90'), /^25 90$/m, 'and its resizes');
        await tmux('send-keys', '-t', session, 'C-p', 'C-q');
        assert.ok(await gone(), 'ctrl-p ctrl-q ends the client');
        // docker attach (unlike docker run) reports the detach as an error: status 1.
        assert.equal((await readFile(exitFile, 'utf8')).trim(), '1');
        assert.equal((await run(['inspect', '-f', '{{.State.Status}}', 'tty'])).stdout.trim(), 'running');

        assert.equal((await attach()).code, 0);
        await sleep(300);
        await tmux('send-keys', '-t', session, 'exit 5', 'Enter');
        assert.ok(await gone(), 'the client exits with the container');
        assert.equal((await readFile(exitFile, 'utf8')).trim(), '5');
        assert.equal((await run(['inspect', '-f', '{{.State.ExitCode}}', 'tty'])).stdout.trim(), '5');
      } finally {
        await tmux('kill-session', '-t', session);
      }
    });
  });
}
