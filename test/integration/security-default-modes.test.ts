import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadBusybox, repoRoot, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * daemon.json / dockerd flags default-ipc-mode and default-cgroupns-mode: the
 * modes of containers created without --ipc / --cgroupns, shown in inspect as
 * Docker shows them; bad values refuse to start with dockerd's texts.
 */

let h: BerthdHarness;
before(async () => {
  h = await startBerthd('ds-defmodes', { daemonJson: { 'default-ipc-mode': 'shareable', 'default-cgroupns-mode': 'private' } });
  await loadBusybox(h);
});
after(async () => {
  await h?.stop();
});

for (const cli of ['docker', 'berth'] as const) {
  describe(`default modes via ${cli}`, () => {
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const name = (n: string): string => `${cli}-${n}`;
    const inspect = async (ref: string, format: string): Promise<string> => {
      const r = await run(['inspect', '-f', format, ref]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim();
    };

    after(async () => {
      const r = await run(['ps', '-aq', '--filter', `name=${cli}-`]);
      const ids = r.stdout.split('\n').filter((l) => l.trim() !== '');
      if (ids.length > 0) await run(['rm', '-f', ...ids]);
    });

    test('default-ipc-mode shareable: a container without --ipc can be joined; --ipc private still wins', async () => {
      const donor = await run(['run', '-d', '--name', name('donor'), 'busybox', 'sh', '-c', 'echo shared > /dev/shm/f; sleep 300']);
      assert.equal(donor.code, 0, donor.stderr);
      assert.equal(await inspect(name('donor'), '{{.HostConfig.IpcMode}}'), 'shareable');
      let joined = await run(['run', '--rm', '--ipc', `container:${name('donor')}`, 'busybox', 'cat', '/dev/shm/f']);
      for (let i = 0; i < 20 && joined.stdout.trim() !== 'shared'; i++) {
        await new Promise((r) => setTimeout(r, 200));
        joined = await run(['run', '--rm', '--ipc', `container:${name('donor')}`, 'busybox', 'cat', '/dev/shm/f']);
      }
      assert.equal(joined.code, 0, joined.stderr);
      assert.equal(joined.stdout.trim(), 'shared');

      const priv = await run(['create', '--name', name('priv'), '--ipc', 'private', 'busybox', 'true']);
      assert.equal(priv.code, 0, priv.stderr);
      assert.equal(await inspect(name('priv'), '{{.HostConfig.IpcMode}}'), 'private');
      await run(['rm', '-f', name('donor'), name('priv')]);
    });

    test('default-cgroupns-mode private: /proc/self/cgroup is rooted at /; --cgroupns host still wins', async () => {
      const r = await run(['run', '--name', name('cgpriv'), 'busybox', 'cat', '/proc/self/cgroup']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.ok(lines.length > 0 && lines.every((l) => l.endsWith(':/')), r.stdout);
      assert.equal(await inspect(name('cgpriv'), '{{.HostConfig.CgroupnsMode}}'), 'private');
      const hostNs = await run(['run', '--name', name('cghost'), '--cgroupns', 'host', 'busybox', 'cat', '/proc/self/cgroup']);
      assert.equal(hostNs.code, 0, hostNs.stderr);
      assert.ok(hostNs.stdout.trim().split('\n').some((l) => !l.endsWith(':/')), hostNs.stdout);
      assert.equal(await inspect(name('cghost'), '{{.HostConfig.CgroupnsMode}}'), 'host');
      await run(['rm', '-f', name('cgpriv'), name('cghost')]);
    });
  });
}

describe('bad default modes stop berthd with dockerd’s messages', () => {
  const berthd = (args: string[]): Promise<{ code: number; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(`${repoRoot}/bin/berthd`, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });

  test('as flags and in daemon.json', async () => {
    const dir = await mkdtemp('/tmp/berth-ds-defmodes-');
    try {
      const base = ['--data-root', `${dir}/data`, '--exec-root', `${dir}/exec`, '--pidfile', `${dir}/pid`, '-H', `unix://${dir}/sock`];
      await writeFile(`${dir}/empty.json`, '{}');
      const flag = await berthd([...base, '--config-file', `${dir}/empty.json`, '--default-ipc-mode', 'bogus']);
      assert.equal(flag.code, 1);
      assert.match(
        flag.stderr,
        /merged configuration validation from file and command line flags failed: default IPC mode setting \(bogus\) is invalid; use "shareable" or "private"/,
      );
      const cgFlag = await berthd([...base, '--config-file', `${dir}/empty.json`, '--default-cgroupns-mode=v2']);
      assert.equal(cgFlag.code, 1);
      assert.match(cgFlag.stderr, /default cgroup namespace mode \(v2\) is invalid; use "host" or "private"/);
      await writeFile(`${dir}/bad.json`, JSON.stringify({ 'default-ipc-mode': 'host' }));
      const file = await berthd([...base, '--config-file', `${dir}/bad.json`]);
      assert.equal(file.code, 1);
      assert.match(
        file.stderr,
        /unable to configure the Docker daemon with file .*bad\.json: configuration validation from file failed: default IPC mode setting \(host\) is invalid; use "shareable" or "private"/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
