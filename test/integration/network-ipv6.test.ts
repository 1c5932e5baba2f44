import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function host(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile(cmd, args, { encoding: 'utf8' }, (_err, stdout) => resolve(stdout)));
}

// IPv6 on a user-defined network: addresses on the veths, inspect, ping6 between two containers.
for (const [cli, n] of [['docker', 'a1'], ['berth', 'a2']] as const) {
  describe(`IPv6 user network via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const subnet6 = `fd00:b0:${n}::/64`;

    before(async () => {
      h = await startBerthd(`net-ipv6-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('network create --ipv6 --subnet; containers get addresses and ping each other over IPv6', async () => {
      const c = await run(['network', 'create', '--ipv6', '--subnet', subnet6, 'v6net']);
      assert.equal(c.code, 0, c.stderr);
      const ins = await run(['network', 'inspect', '-f', '{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}}={{.Gateway}} {{end}}', 'v6net']);
      assert.match(ins.stdout.trim(), new RegExp(`^true .*fd00:b0:${n}::/64=fd00:b0:${n}::1$`));
      const bridge = `br-${c.stdout.trim().slice(0, 12)}`;
      assert.match(await host('ip', ['-6', '-o', 'addr', 'show', 'dev', bridge]), new RegExp(`inet6 fd00:b0:${n}::1/64`));

      const started = await run(['run', '-d', '--name', 'six-a', '--network', 'v6net', 'busybox', 'sleep', '120']);
      assert.equal(started.code, 0, started.stderr);
      const a6 = (await run(['inspect', '-f', '{{.NetworkSettings.Networks.v6net.GlobalIPv6Address}} {{.NetworkSettings.Networks.v6net.GlobalIPv6PrefixLen}} {{.NetworkSettings.Networks.v6net.IPv6Gateway}}', 'six-a'])).stdout.trim();
      const [addr = '', len, gw] = a6.split(' ');
      assert.match(addr, new RegExp(`^fd00:b0:${n}::[0-9a-f]+$`));
      assert.equal(len, '64');
      assert.equal(gw, `fd00:b0:${n}::1`);
      const members = await run(['network', 'inspect', '-f', '{{range .Containers}}{{.IPv6Address}}{{end}}', 'v6net']);
      assert.equal(members.stdout.trim(), `${addr}/64`);

      const r = await run(['run', '--rm', '--network', 'v6net', 'busybox', 'sh', '-c', `ip -6 -o addr show eth0; ping -6 -c1 -W3 ${addr}`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`inet6 fd00:b0:${n}::[0-9a-f]+/64`));
      assert.match(r.stdout, /1 packets received/);
      assert.equal((await run(['rm', '-f', 'six-a'])).code, 0);
      assert.equal((await run(['network', 'rm', 'v6net'])).code, 0);
    });

    test('an IPv6 subnet without --ipv6 is refused', async () => {
      const r = await run(['network', 'create', '--subnet', 'fd00:b1::/64', 'v6bad']);
      assert.notEqual(r.code, 0);
    });
  });
}
