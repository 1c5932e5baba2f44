import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// --link name:alias on the default bridge: /etc/hosts and Docker's link environment.
describe('legacy --link on the default bridge', () => {
  let h: BerthdHarness;
  const cli = (which: 'docker' | 'berth') => (args: string[]) => runCli(which, args, { env: h.env, timeoutMs: 60_000 });
  let ip = '';
  let hostname = '';

  before(async () => {
    h = await startBerthd('net-link');
    await loadBusybox(h);
    const r = await cli('docker')(['run', '-d', '--name', 'web-srv', '--expose', '80', '--expose', '81', '-e', 'SECRET=s3', 'busybox', 'sleep', '120']);
    assert.equal(r.code, 0, r.stderr);
    ip = (await cli('docker')(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web-srv'])).stdout.trim();
    hostname = (await cli('docker')(['inspect', '-f', '{{.Config.Hostname}}', 'web-srv'])).stdout.trim();
  });
  after(async () => {
    await h?.stop();
  });

  for (const which of ['docker', 'berth'] as const) {
    test(`via ${which}: hosts entry, env vars, and the alias resolves and answers ping`, async () => {
      const run = cli(which);
      const name = `client-${which}`;
      const r = await run(['run', '--name', name, '--link', 'web-srv:db-1', 'busybox', 'sh', '-c', 'cat /etc/hosts; env | sort; ping -c1 -W2 db-1 >/dev/null && echo PING-OK']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tdb-1 ${hostname} web-srv$`, 'm'));
      const env = r.stdout;
      assert.match(env, new RegExp(`^DB_1_PORT=tcp://${ip.replace(/\./g, '\\.')}:80$`, 'm'));
      assert.match(env, new RegExp(`^DB_1_PORT_80_TCP=tcp://${ip.replace(/\./g, '\\.')}:80$`, 'm'));
      assert.match(env, new RegExp(`^DB_1_PORT_81_TCP_ADDR=${ip.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(env, /^DB_1_PORT_80_TCP_PORT=80$/m);
      assert.match(env, /^DB_1_PORT_80_TCP_PROTO=tcp$/m);
      assert.match(env, /^DB_1_PORT_80_TCP_PORT_START=80$/m);
      assert.match(env, /^DB_1_PORT_80_TCP_PORT_END=81$/m);
      assert.match(env, new RegExp(`^DB_1_NAME=/${name}/db-1$`, 'm'));
      assert.match(env, /^DB_1_ENV_SECRET=s3$/m);
      assert.doesNotMatch(env, /^DB_1_ENV_PATH=/m);
      assert.match(r.stdout, /PING-OK/);
      await run(['rm', name]);
    });
  }

  test('a link to a stopped container fails at start with Docker\'s message', async () => {
    const docker = cli('docker');
    assert.equal((await docker(['create', '--name', 'off', 'busybox', 'true'])).code, 0);
    const r = await docker(['run', '--name', 'client-off', '--link', 'off:o', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Cannot link to a non running container: \/off AS \/client-off\/o/);
    await docker(['rm', '-f', 'off', 'client-off']);
  });
});

// --link name:alias on a user-defined network: no hosts line or env, but the alias resolves through
// the network's DNS server for the linking container only (Docker's per-sandbox aliases).
describe('--link on a user-defined network', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });

  before(async () => {
    h = await startBerthd('net-link-user');
    await loadBusybox(h);
    assert.equal((await docker(['network', 'create', '--subnet', '10.204.77.0/24', 'linknet'])).code, 0);
    const r = await docker(['run', '-d', '--name', 'db-srv', '--network', 'linknet', 'busybox', 'sleep', '120']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await h?.stop();
  });

  for (const which of ['docker', 'berth'] as const) {
    test(`via ${which}: the alias resolves for the linking container, not for others`, async () => {
      const run = (args: string[]) => runCli(which, args, { env: h.env, timeoutMs: 60_000 });
      const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.Networks.linknet.IPAddress}}', 'db-srv'])).stdout.trim();
      const linked = await run(['run', '--rm', '--network', 'linknet', '--link', 'db-srv:store', 'busybox', 'sh', '-c', 'cat /etc/hosts; env; nslookup store; ping -c1 -W2 store']);
      assert.equal(linked.code, 0, linked.stdout + linked.stderr);
      assert.match(linked.stdout, new RegExp(`Address:\\s+${ip.replace(/\./g, '\\.')}`));
      assert.match(linked.stdout, new RegExp(`PING store \\(${ip.replace(/\./g, '\\.')}\\)`));
      assert.doesNotMatch(linked.stdout, /^[0-9.]+\t.*\bstore\b/m, 'no /etc/hosts line on a user network');
      assert.doesNotMatch(linked.stdout, /^STORE_/m, 'no link environment on a user network');
      const name = `linker-${which}`;
      assert.equal((await run(['run', '-d', '--name', name, '--network', 'linknet', '--link', 'db-srv:store', 'busybox', 'sleep', '60'])).code, 0);
      assert.equal((await docker(['inspect', '-f', '{{json .NetworkSettings.Networks.linknet.Links}}', name])).stdout.trim(), '["db-srv:store"]');
      await docker(['rm', '-f', name]);
      const other = await run(['run', '--rm', '--network', 'linknet', 'busybox', 'sh', '-c', 'nslookup store || echo NOT-FOUND']);
      assert.match(other.stdout + other.stderr, /NOT-FOUND|can't resolve|NXDOMAIN/);
      assert.doesNotMatch(other.stdout, new RegExp(`Address:\\s+${ip.replace(/\./g, '\\.')}`));
    });
  }
});
