import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function host(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout })),
  );
}

// The same assertions through the real docker CLI and through berth.
for (const [cli, octet] of [['docker', 211], ['berth', 212]] as const) {
  describe(`user-defined networks via ${cli}`, () => {
    let h: BerthdHarness;
    const run = (args: string[]) => runCli(cli, args, { env: h.env, timeoutMs: 60_000 });
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const subnet = `10.201.${octet}.0/24`;
    const fixedIp = `10.201.${octet}.50`;
    const net = `un-${cli}`;
    const net2 = `un2-${cli}`;
    const bridges: string[] = [];
    let containerId = '';

    before(async () => {
      h = await startBerthd(`net-user-${cli}`);
      await loadBusybox(h);
    });
    after(async () => {
      await h?.stop();
    });

    test('network create with a subnet; ls, inspect and the bridge device show it; a duplicate is refused', async () => {
      const c = await run(['network', 'create', '--subnet', subnet, '--gateway', `10.201.${octet}.1`, '--label', 'team=net', net]);
      assert.equal(c.code, 0, c.stderr);
      const id = c.stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      bridges.push(`br-${id.slice(0, 12)}`);
      assert.equal((await host('ip', ['link', 'show', 'dev', `br-${id.slice(0, 12)}`])).code, 0);

      const ls = await run(['network', 'ls']);
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(ls.stdout, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/m);
      assert.match(ls.stdout, new RegExp(`^${id.slice(0, 12)}\\s+${net}\\s+bridge\\s+local$`, 'm'));
      for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]) {
        assert.match(ls.stdout, new RegExp(`^[0-9a-f]{12}\\s+${name}\\s+${driver}\\s+local$`, 'm'));
      }
      const custom = await run(['network', 'ls', '--filter', 'type=custom', '--filter', 'label=team=net', '--format', '{{.Name}}']);
      assert.equal(custom.stdout.trim(), net);

      const ins = await run(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{.Labels.team}}', cli === 'docker' ? id.slice(0, 10) : net]);
      assert.equal(ins.stdout.trim(), `${net} bridge local ${subnet} 10.201.${octet}.1 net`, ins.stderr);

      const dup = await run(['network', 'create', net]);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, new RegExp(`network with name ${net} already exists`));
      const missing = await run(['network', 'inspect', 'no-such-net']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /network no-such-net not found/);
    });

    test('two containers on the network reach each other by name and alias through berthd DNS', async () => {
      const extra = ['--ip', fixedIp, '--network-alias', 'web-alias'];
      const a = await run(['run', '-d', '--name', `peer-${cli}`, '--network', net, ...extra, 'busybox', 'sleep', '300']);
      assert.equal(a.code, 0, a.stderr);
      containerId = a.stdout.trim();
      const ip = (await run(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, `peer-${cli}`])).stdout.trim();
      {
        assert.equal(ip, fixedIp);
        const names = await run(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").Aliases}} {{(index .NetworkSettings.Networks "${net}").DNSNames}} {{(index .NetworkSettings.Networks "${net}").Gateway}}`, `peer-${cli}`]);
        assert.equal(names.stdout.trim(), `[web-alias] [peer-${cli} web-alias ${containerId.slice(0, 12)}] 10.201.${octet}.1`);
      }
      const lookups = `nslookup web-alias && `;
      const b = await run(['run', '--rm', '--network', net, 'busybox', 'sh', '-c', `cat /etc/resolv.conf && ping -c1 -W2 peer-${cli} && ${lookups}nslookup ${containerId.slice(0, 12)}`]);
      assert.equal(b.code, 0, b.stderr + b.stdout);
      assert.match(b.stdout, new RegExp(`^nameserver 10\\.201\\.${octet}\\.1$`, 'm'));
      assert.match(b.stdout, new RegExp(`1 packets received`));
      assert.match(b.stdout, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));

      const ins = await run(['network', 'inspect', '-f', '{{range $id, $c := .Containers}}{{$id}} {{$c.Name}} {{$c.IPv4Address}}{{end}}', net]);
      assert.equal(ins.stdout.trim(), `${containerId} peer-${cli} ${ip}/24`);
    });

    test('a network with endpoints cannot be removed', async () => {
      const r = await run(['network', 'rm', net]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`error while removing network: network ${net} id [0-9a-f]{64} has active endpoints`));
      const pre = await run(['network', 'rm', 'bridge']);
      assert.notEqual(pre.code, 0);
      assert.match(pre.stderr, /bridge is a pre-defined network and cannot be removed/);
    });

    test('connect adds eth1 with an alias resolvable on the other network; disconnect removes it', async () => {
      const c = await run(['network', 'create', net2]);
      assert.equal(c.code, 0, c.stderr);
      bridges.push(`br-${c.stdout.trim().slice(0, 12)}`);
      const con = await run(['network', 'connect', '--alias', 'second-name', net2, `peer-${cli}`]);
      assert.equal(con.code, 0, con.stderr);
      const twice = await run(['network', 'connect', net2, `peer-${cli}`]);
      assert.notEqual(twice.code, 0);
      assert.match(twice.stderr, new RegExp(`endpoint with name peer-${cli} already exists in network ${net2}`));
      const ip2 = (await run(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net2}").IPAddress}}`, `peer-${cli}`])).stdout.trim();
      assert.match(ip2, /^\d+\.\d+\.\d+\.\d+$/);
      const eth1 = await run(['exec', `peer-${cli}`, 'ip', '-o', '-4', 'addr', 'show', 'eth1']);
      assert.match(eth1.stdout, new RegExp(`inet ${ip2.replace(/\./g, '\\.')}/`), eth1.stderr);
      const q = await run(['run', '--rm', '--network', net2, 'busybox', 'sh', '-c', 'nslookup second-name && ping -c1 -W2 second-name']);
      assert.equal(q.code, 0, q.stderr + q.stdout);
      assert.match(q.stdout, new RegExp(`Address: ${ip2.replace(/\./g, '\\.')}`));
      const dis = await run(['network', 'disconnect', net2, `peer-${cli}`]);
      assert.equal(dis.code, 0, dis.stderr);
      const gone = await run(['exec', `peer-${cli}`, 'ip', 'link', 'show', 'eth1']);
      assert.notEqual(gone.code, 0);
    });

    test('bad input: an overlapping subnet, a gateway outside its subnet, an --ip outside the subnet', async () => {
      const overlap = await run(['network', 'create', '--subnet', `10.201.${octet}.128/25`, `bad-${cli}`]);
      assert.notEqual(overlap.code, 0);
      assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
      const gw = await run(['network', 'create', '--subnet', '10.202.0.0/24', '--gateway', '10.203.0.1', `bad-${cli}`]);
      assert.notEqual(gw.code, 0);
      assert.match(gw.stderr, /no matching subnet for gateway 10\.203\.0\.1/);
      const ls = await run(['network', 'ls', '--format', '{{.Name}}']);
      assert.doesNotMatch(ls.stdout, new RegExp(`bad-${cli}`));
      {
        const ip = await run(['run', '-d', '--name', `badip-${cli}`, '--network', net, '--ip', '10.9.9.9', 'busybox', 'true']);
        assert.notEqual(ip.code, 0);
        assert.match(ip.stderr, /no configured subnet or ip-range contain the IP address 10\.9\.9\.9/);
        await run(['rm', '-f', `badip-${cli}`]);
      }
    });

    test('--aux-address (IPAM AuxiliaryAddresses): shown in inspect, never handed out, refused as a static --ip', async () => {
      const sub = `10.204.${octet}`;
      await ok(['network', 'create', '--subnet', `${sub}.0/24`, '--aux-address', `a=${sub}.2`, '--aux-address', `b=${sub}.3`, `aux-${cli}`]);
      const ipam = JSON.parse(await ok(['network', 'inspect', '-f', '{{json .IPAM.Config}}', `aux-${cli}`])) as Array<Record<string, unknown>>;
      assert.deepEqual(ipam[0]?.['AuxiliaryAddresses'], { a: `${sub}.2`, b: `${sub}.3` });
      // dockerd 20.10: the first container gets .4 (.1 the gateway, .2 and .3 reserved)
      const addr = await ok(['run', '--rm', '--network', `aux-${cli}`, 'busybox', 'sh', '-c', "ip -4 addr show eth0 | awk '/inet /{print $2}'"]);
      assert.equal(addr.trim(), `${sub}.4/24`);
      const taken = await run(['run', '--rm', '--network', `aux-${cli}`, '--ip', `${sub}.2`, 'busybox', 'true']);
      assert.notEqual(taken.code, 0);
      assert.match(taken.stderr, /Address already in use/);
      const outside = await run(['network', 'create', '--subnet', '10.205.0.0/24', '--aux-address', `a=${sub}.9`, `auxbad-${cli}`]);
      assert.notEqual(outside.code, 0);
      assert.match(outside.stderr, cli === 'docker' ? /no matching subnet for aux-address/ : /must belong to the master pool: 10\.205\.0\.0\/24/);
      await ok(['network', 'rm', `aux-${cli}`]);
    });

    test('an IPv6 subnet without --ipv6 is kept and listed, containers get IPv4 only (dockerd 20.10)', async () => {
      await ok(['network', 'create', '--subnet', `fd00:77:${octet}::/64`, `v6off-${cli}`]);
      const [enabled, config] = (await ok(['network', 'inspect', '-f', '{{.EnableIPv6}}|{{json .IPAM.Config}}', `v6off-${cli}`])).trim().split('|');
      assert.equal(enabled, 'false');
      const configs = JSON.parse(config ?? '[]') as Array<{ Subnet: string; Gateway?: string }>;
      assert.equal(configs.length, 2, config);
      assert.match(configs[0]?.Subnet ?? '', /^\d+\.\d+\.\d+\.\d+\/\d+$/);
      assert.deepEqual(configs[1], { Subnet: `fd00:77:${octet}::/64` });
      const addrs = await ok(['run', '--rm', '--network', `v6off-${cli}`, 'busybox', 'ip', 'addr', 'show', 'eth0']);
      assert.match(addrs, /inet \d+\.\d+\.\d+\.\d+/);
      assert.doesNotMatch(addrs, /inet6 fd00:77/);
      await ok(['network', 'rm', `v6off-${cli}`]);
    });

    test('--link-local-ip (IPAMConfig.LinkLocalIPs): the address is on the interface as /16, inspect shows it; one outside 169.254/16 is refused (dockerd 20.10)', async () => {
      await ok(['network', 'create', '--subnet', `10.206.${octet}.0/24`, `ll-${cli}`]);
      await ok(['run', '-d', '--name', `ll-${cli}`, '--network', `ll-${cli}`, '--link-local-ip', '169.254.7.6', 'busybox', 'sleep', '60']);
      assert.equal((await ok(['inspect', '-f', `{{json (index .NetworkSettings.Networks "ll-${cli}").IPAMConfig}}`, `ll-${cli}`])).trim(), '{"LinkLocalIPs":["169.254.7.6"]}');
      assert.match(await ok(['exec', `ll-${cli}`, 'ip', '-4', 'addr', 'show', 'eth0']), /inet 169\.254\.7\.6\/16/);
      const bad = await run(['run', '--rm', '--network', `ll-${cli}`, '--link-local-ip', `10.206.${octet}.9`, 'busybox', 'true']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, new RegExp(`invalid link local IP address: 10\\.206\\.${octet}\\.9`));
      await ok(['rm', '-f', `ll-${cli}`]);
      await ok(['network', 'rm', `ll-${cli}`]);
    });

    test('after the container goes, rm and prune leave no bridge, veth or rule behind', async () => {
      const rm = await run(['rm', '-f', `peer-${cli}`]);
      assert.equal(rm.code, 0, rm.stderr);
      const r = await run(['network', 'rm', net]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), net);
      const p = await run(['network', 'prune', '-f']);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, new RegExp(`^${net2}$`, 'm'));
      const ls = await run(['network', 'ls', '--format', '{{.Name}}']);
      assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['bridge', 'host', 'none']);
      const links = (await host('ip', ['-o', 'link'])).stdout;
      const rules = (await host('iptables-save', [])).stdout;
      for (const b of bridges) {
        assert.doesNotMatch(links, new RegExp(`\\b${b}\\b`));
        assert.doesNotMatch(rules, new RegExp(`\\b${b}\\b`));
      }
      assert.doesNotMatch(links, new RegExp(`vb${containerId.slice(0, 11)}`));
    });

    test('daemon stop removes a user network\'s bridge, veths and rules', async () => {
      const c = await run(['network', 'create', `keep-${cli}`]);
      assert.equal(c.code, 0, c.stderr);
      const bridge = `br-${c.stdout.trim().slice(0, 12)}`;
      const r = await run(['run', '-d', '--name', `last-${cli}`, '--network', `keep-${cli}`, 'busybox', 'sleep', '60']);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      await h.stop();
      assert.doesNotMatch((await host('ip', ['-o', 'link'])).stdout, new RegExp(`\\b${bridge}\\b|vb${id.slice(0, 11)}`));
      assert.doesNotMatch((await host('iptables-save', [])).stdout, new RegExp(`\\b${bridge}\\b`));
    });
  });
}
