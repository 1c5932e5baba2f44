import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// The same assertions run through the real docker CLI and through berth: that is the compatibility proof.
for (const cli of ['docker', 'berth'] as const) {
  describe(`container lifecycle via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[], input?: string) => runCli(cli, args, { env: h.env, input, timeoutMs: 60_000 });

    before(async () => {
      h = await startBerthd(`life-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('version and info answer', async () => {
      const v = await run(['version']);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /Server/);
      const i = await run(['info']);
      assert.equal(i.code, 0, i.stderr);
      assert.match(i.stdout, /Storage Driver: overlay2/);
      assert.match(i.stdout, /Logging Driver: json-file/);
    });

    test('run --rm prints output and exits 0', async () => {
      const r = await run(['run', '--rm', 'busybox', 'echo', 'hello']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hello\n');
      const ps = await run(['ps', '-aq']);
      assert.equal(ps.stdout.trim(), '', 'the --rm container is gone');
    });

    test('run returns the container exit code', async () => {
      const r = await run(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.code, 3);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
    });

    test('run options: --init, --network host, -e, -w, -u, -i with piped stdin', async () => {
      const init = await run(['run', '--rm', '--init', 'busybox', 'ps', '-o', 'pid,args']);
      assert.equal(init.code, 0, init.stderr);
      assert.match(init.stdout, /^\s*1 \/sbin\/docker-init -- ps/m);
      const host = await run(['run', '--rm', '--network', 'host', 'busybox', 'hostname']);
      assert.equal(host.stdout.trim(), (await import('node:os')).hostname());
      const none = await run(['run', '--rm', '--network', 'none', 'busybox', 'cat', '/proc/net/dev']);
      assert.doesNotMatch(none.stdout, /eth0/);
      const env = await run(['run', '--rm', '-e', 'FOO=bar', '-w', '/tmp', '-u', 'nobody', 'busybox', 'sh', '-c', 'echo $FOO $(pwd) $(id -u)']);
      assert.equal(env.stdout, 'bar /tmp 65534\n');
      const piped = await run(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], 'from stdin\n');
      assert.equal(piped.stdout, 'from stdin\ndone\n');
    });

    test('a missing command exits 127 with the runtime message', async () => {
      const r = await run(['run', '--rm', 'busybox', 'nope-no-such-cmd']);
      assert.equal(r.code, 127, r.stderr);
      assert.match(r.stderr, /executable file not found/);
    });

    test('detached container: ps, logs, inspect, stop, start, restart, kill, rm', async () => {
      const name = `w1-${cli}`;
      const d = await run(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'while true; do date; sleep 1; done']);
      assert.equal(d.code, 0, d.stderr);
      const id = d.stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);

      const ps = await run(['ps']);
      assert.match(ps.stdout, /^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES/);
      assert.match(ps.stdout, new RegExp(`${id.slice(0, 12)}\\s+busybox\\s+"sh -c 'while true; …"\\s+.*Up .*${name}`));

      await new Promise((r) => setTimeout(r, 2200));
      const logs = await run(['logs', name]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.ok(logs.stdout.split('\n').filter(Boolean).length >= 2, logs.stdout);
      const tail = await run(['logs', '--tail', '1', '-t', name]);
      assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \w+/);
      assert.equal(tail.stdout.trim().split('\n').length, 1);

      const insp = await run(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Image}}', name]);
      assert.equal(insp.stdout.trim(), `running true /${name} busybox`);

      const stop = await run(['stop', '-t', '1', name]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stdout.trim(), name);
      const status = await run(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name]);
      assert.match(status.stdout.trim(), /^exited (137|143)$/);
      const psa = await run(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Names}} {{.Status}}']);
      assert.match(psa.stdout.trim(), new RegExp(`^${name} Exited \\((137|143)\\) `));

      assert.equal((await run(['start', name])).code, 0);
      assert.equal((await run(['restart', '-t', '1', name])).code, 0);
      const running = await run(['inspect', '-f', '{{.State.Running}}', name]);
      assert.equal(running.stdout.trim(), 'true');
      const kill = await run(['kill', name]);
      assert.equal(kill.code, 0, kill.stderr);
      const killed = await run(['inspect', '-f', '{{.State.ExitCode}}', name]);
      assert.equal(killed.stdout.trim(), '137');
      const rm = await run(['rm', name]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(rm.stdout.trim(), name);
      const gone = await run(['inspect', name]);
      assert.equal(gone.code, 1);
    });

    test('rm refuses a running container and -f removes it', async () => {
      const name = `rmf-${cli}`;
      assert.equal((await run(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code, 0);
      const refused = await run(['rm', name]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove/);
      const forced = await run(['rm', '-f', name]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal((await run(['ps', '-aq', '--filter', `name=${name}`])).stdout.trim(), '');
    });

    test('create, start, wait', async () => {
      const name = `cw-${cli}`;
      const c = await run(['create', '--name', name, 'busybox', 'sh', '-c', 'exit 5']);
      assert.equal(c.code, 0, c.stderr);
      const st = await run(['inspect', '-f', '{{.State.Status}}', name]);
      assert.equal(st.stdout.trim(), 'created');
      assert.equal((await run(['start', name])).code, 0);
      const w = await run(['wait', name]);
      assert.equal(w.stdout.trim(), '5');
      assert.equal((await run(['rm', name])).code, 0);
    });

    test('errors: unknown container, name conflict, unknown image', async () => {
      const rm = await run(['rm', 'no-such-container']);
      assert.equal(rm.code, 1);
      assert.match(rm.stderr, /No such container: no-such-container/);
      const name = `dup-${cli}`;
      assert.equal((await run(['create', '--name', name, 'busybox', 'true'])).code, 0);
      const dup = await run(['create', '--name', name, 'busybox', 'true']);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, new RegExp(`Conflict. The container name "/${name}" is already in use by container`));
      assert.equal((await run(['rm', name])).code, 0);
      const img = await run(['run', '--rm', 'no-such-image:nope', 'true']);
      assert.equal(img.code, 125);
      assert.match(img.stderr, /Unable to find image 'no-such-image:nope' locally/);
    });
  });
}
