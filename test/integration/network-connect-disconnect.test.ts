import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// Expectations as dockerd 20.10 answers the same docker CLI commands: any network can be left, the one
// NetworkMode names too; NetworkMode stays; a container on no network starts (and restarts) with loopback only.

function host(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout })),
  );
}

const ipv4s = (out: string): string[] =>
  out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[2] === 'inet')
    .map((w) => `${w[1] ?? ''} ${w[3] ?? ''}`);

describe('network disconnect/connect of any network via docker', () => {
  let h: BerthdHarness;
  const run = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const networks = async (name: string) => JSON.parse((await run(['inspect', '-f', '{{json .NetworkSettings.Networks}}', name])).stdout) as Record<string, Record<string, unknown>>;
  const addrs = async (name: string) => ipv4s((await run(['exec', name, 'ip', '-o', '-4', 'addr'])).stdout);
  const ids: string[] = [];

  before(async () => {
    h = await startBerthd('net-connect-disconnect');
    await loadBusybox(h);
    for (const n of ['ncd-a', 'ncd-b']) assert.equal((await run(['network', 'create', n])).code, 0);
  });
  after(async () => {
    await h?.stop();
  });

  test('a created container leaves its NetworkMode network; it starts and restarts with loopback only', async () => {
    const c = await run(['create', '--name', 'ncd-created', '--network', 'ncd-a', 'busybox', 'sleep', '600']);
    assert.equal(c.code, 0, c.stderr);
    ids.push(c.stdout.trim());
    const d = await run(['network', 'disconnect', 'ncd-a', 'ncd-created']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(await networks('ncd-created'), {});
    assert.equal((await run(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'ncd-created'])).stdout.trim(), 'ncd-a');
    const again = await run(['network', 'disconnect', 'ncd-a', 'ncd-created']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, new RegExp(`container ${c.stdout.trim()} is not connected to network ncd-a`));
    const s = await run(['start', 'ncd-created']);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(await addrs('ncd-created'), ['lo 127.0.0.1/8']);
    assert.deepEqual(await networks('ncd-created'), {});
    assert.equal((await run(['restart', '-t', '0', 'ncd-created'])).code, 0);
    assert.deepEqual(await addrs('ncd-created'), ['lo 127.0.0.1/8']);
    assert.deepEqual(await networks('ncd-created'), {});
  });

  test('a container on no network is connected later: it gets the endpoint at once, and at its next start', async () => {
    const con = await run(['network', 'connect', '--alias', 'later-alias', 'ncd-b', 'ncd-created']);
    assert.equal(con.code, 0, con.stderr);
    const nets = await networks('ncd-created');
    assert.deepEqual(Object.keys(nets), ['ncd-b']);
    const ip = String(nets['ncd-b']?.['IPAddress']);
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual((await addrs('ncd-created')).map((a) => a.split(' ')[1]), ['127.0.0.1/8', `${ip}/24`]);
    const q = await run(['run', '--rm', '--network', 'ncd-b', 'busybox', 'sh', '-c', 'nslookup later-alias && nslookup ncd-created && ping -c1 -W2 later-alias']);
    assert.equal(q.code, 0, q.stderr + q.stdout);
    assert.match(q.stdout, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}`));
    assert.equal((await run(['restart', '-t', '0', 'ncd-created'])).code, 0);
    assert.deepEqual(Object.keys(await networks('ncd-created')), ['ncd-b']);
    assert.equal((await addrs('ncd-created')).length, 2);
  });

  test('a running container connected to a second network resolves there by name and alias; leaving its first network moves the default route', async () => {
    const r = await run(['run', '-d', '--name', 'ncd-run', '--network', 'ncd-a', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    ids.push(r.stdout.trim());
    const con = await run(['network', 'connect', '--alias', 'run-alias', 'ncd-b', 'ncd-run']);
    assert.equal(con.code, 0, con.stderr);
    const ipB = String((await networks('ncd-run'))['ncd-b']?.['IPAddress']);
    for (const name of ['ncd-run', 'run-alias']) {
      const q = await run(['run', '--rm', '--network', 'ncd-b', 'busybox', 'sh', '-c', `nslookup ${name} && ping -c1 -W2 ${name}`]);
      assert.equal(q.code, 0, q.stderr + q.stdout);
      assert.match(q.stdout, new RegExp(`Address: ${ipB.replace(/\./g, '\\.')}`));
    }
    const d = await run(['network', 'disconnect', 'ncd-a', 'ncd-run']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(Object.keys(await networks('ncd-run')), ['ncd-b']);
    assert.equal((await run(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'ncd-run'])).stdout.trim(), 'ncd-a');
    assert.deepEqual((await addrs('ncd-run')).map((a) => a.split(' ')[1]), ['127.0.0.1/8', `${ipB}/24`]);
    const route = await run(['exec', 'ncd-run', 'ip', 'route', 'show', 'default']);
    assert.match(route.stdout, /^default via \d+\.\d+\.\d+\.1 dev eth\d/m, route.stderr);
    const back = await run(['network', 'connect', 'ncd-a', 'ncd-run']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(Object.keys(await networks('ncd-run')).sort(), ['ncd-a', 'ncd-b']);
    const twice = await run(['network', 'connect', 'ncd-a', 'ncd-run']);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /endpoint with name ncd-run already exists in network ncd-a/);
  });

  test('docker-compose 1.29 flow: create with an alias, disconnect, connect with new aliases, start', async () => {
    const c = await run(['create', '--name', 'ncd-compose', '--network', 'ncd-a', '--network-alias', 'first', 'busybox', 'sleep', '600']);
    assert.equal(c.code, 0, c.stderr);
    ids.push(c.stdout.trim());
    assert.equal((await run(['network', 'disconnect', 'ncd-a', 'ncd-compose'])).code, 0);
    const con = await run(['network', 'connect', '--alias', 'svc', '--alias', 'svc-2', 'ncd-a', 'ncd-compose']);
    assert.equal(con.code, 0, con.stderr);
    // dockerd 20.10 (API 1.41) also lists the short id among the Aliases; API ≥ 1.45 moves it to DNSNames.
    const aliases = ((await networks('ncd-compose'))['ncd-a']?.['Aliases'] ?? []) as string[];
    assert.deepEqual(aliases.filter((a) => !/^[0-9a-f]{12}$/.test(a)), ['svc', 'svc-2']);
    assert.equal((await run(['start', 'ncd-compose'])).code, 0);
    const q = await run(['run', '--rm', '--network', 'ncd-a', 'busybox', 'sh', '-c', 'nslookup svc && ping -c1 -W2 svc-2']);
    assert.equal(q.code, 0, q.stderr + q.stdout);
    const gone = await run(['run', '--rm', '--network', 'ncd-a', 'busybox', 'nslookup', 'first']);
    assert.notEqual(gone.code, 0, gone.stdout);
  });

  test('the default bridge can be left too, with its published port; rm leaves no veth or rule', async () => {
    const r = await run(['run', '-d', '--name', 'ncd-bridge', '-p', '127.0.0.1::80', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    ids.push(id);
    const ip = String((await networks('ncd-bridge'))['bridge']?.['IPAddress']);
    assert.match((await host('iptables-save', [])).stdout, new RegExp(`${ip.replace(/\./g, '\\.')}:80\\b`));
    const d = await run(['network', 'disconnect', 'bridge', 'ncd-bridge']);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(await networks('ncd-bridge'), {});
    assert.equal((await run(['inspect', '-f', '{{json .NetworkSettings.Ports}}', 'ncd-bridge'])).stdout.trim(), '{}');
    assert.deepEqual(await addrs('ncd-bridge'), ['lo 127.0.0.1/8']);
    assert.doesNotMatch((await host('iptables-save', [])).stdout, new RegExp(`${ip.replace(/\./g, '\\.')}:80\\b`));
    assert.doesNotMatch((await host('ip', ['-o', 'link'])).stdout, new RegExp(`vb${id.slice(0, 11)}`));
    const back = await run(['network', 'connect', 'bridge', 'ncd-bridge']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(Object.keys(await networks('ncd-bridge')), ['bridge']);
    // dockerd maps the published ports anew on the new endpoint.
    const port = await run(['port', 'ncd-bridge', '80/tcp']);
    assert.match(port.stdout.trim(), /^127\.0\.0\.1:\d+$/, port.stderr);
    const ip2 = String((await networks('ncd-bridge'))['bridge']?.['IPAddress']);
    assert.match((await host('iptables-save', [])).stdout, new RegExp(`${ip2.replace(/\./g, '\\.')}:80\\b`));
    assert.equal((await run(['restart', '-t', '0', 'ncd-bridge'])).code, 0);
    assert.deepEqual(Object.keys(await networks('ncd-bridge')), ['bridge']);
    assert.equal((await addrs('ncd-bridge')).length, 2);
  });

  test('a default-bridge container that joins a user network resolves names there, as dockerd rewrites its resolv.conf', async () => {
    const r = await run(['run', '-d', '--name', 'ncd-joiner', 'busybox', 'sleep', '600']);
    assert.equal(r.code, 0, r.stderr);
    ids.push(r.stdout.trim());
    const con = await run(['network', 'connect', 'ncd-b', 'ncd-joiner']);
    assert.equal(con.code, 0, con.stderr);
    const gw = String((await networks('ncd-joiner'))['ncd-b']?.['Gateway']);
    const conf = await run(['exec', 'ncd-joiner', 'cat', '/etc/resolv.conf']);
    assert.deepEqual(conf.stdout.split('\n').filter((l) => l.startsWith('nameserver')), [`nameserver ${gw}`]);
    const q = await run(['exec', 'ncd-joiner', 'sh', '-c', 'nslookup ncd-created && ping -c1 -W2 later-alias']);
    assert.equal(q.code, 0, q.stderr + q.stdout);
  });

  test('a container on two user networks resolves names of both, whichever network its resolv.conf names (dockerd\'s resolver serves all of them)', async () => {
    assert.equal((await run(['network', 'create', 'ncd-c'])).code, 0);
    const two = await run(['run', '-d', '--name', 'ncd-two', '--network', 'ncd-a', 'busybox', 'sleep', '600']);
    assert.equal(two.code, 0, two.stderr);
    ids.push(two.stdout.trim());
    assert.equal((await run(['network', 'connect', 'ncd-c', 'ncd-two'])).code, 0);
    const only = await run(['run', '-d', '--name', 'ncd-only-c', '--network', 'ncd-c', 'busybox', 'sleep', '600']);
    assert.equal(only.code, 0, only.stderr);
    ids.push(only.stdout.trim());
    const q = await run(['exec', 'ncd-two', 'sh', '-c', 'nslookup ncd-only-c && ping -c1 -W2 ncd-only-c']);
    assert.equal(q.code, 0, q.stderr + q.stdout);
    assert.equal((await run(['rm', '-f', 'ncd-two', 'ncd-only-c'])).code, 0);
    assert.equal((await run(['network', 'rm', 'ncd-c'])).code, 0);
  });

  test('after rm -f and network rm: no veth, netns or rule of these containers is left', async () => {
    const rm = await run(['rm', '-f', 'ncd-created', 'ncd-run', 'ncd-compose', 'ncd-bridge', 'ncd-joiner']);
    assert.equal(rm.code, 0, rm.stderr);
    for (const n of ['ncd-a', 'ncd-b']) assert.equal((await run(['network', 'rm', n])).code, 0);
    const links = (await host('ip', ['-o', 'link'])).stdout;
    for (const id of ids) assert.doesNotMatch(links, new RegExp(`vb${id.slice(0, 11)}`));
    const rules = (await host('iptables-save', [])).stdout;
    assert.doesNotMatch(rules, /:80\b.*127\.0\.0\.1|127\.0\.0\.1.*--dport \d+ .*:80\b/);
  });
});
