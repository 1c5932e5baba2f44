import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function api(h: BerthdHarness, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, method, path, headers: { 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Container create fields, each proven by its effect; expectations as dockerd 20.10 shows them. */
describe('container create fields are honoured', () => {
  let h: BerthdHarness;
  const docker = (args: string[]) => runCli('docker', args, { env: h.env, timeoutMs: 60_000 });
  const out = async (args: string[]): Promise<string> => {
    const r = await docker(args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  before(async () => {
    h = await startBerthd('create-fields');
    await loadBusybox(h);
  });
  after(async () => h?.stop());

  test('--hostname (Config.Hostname) and --domainname (Config.Domainname) inside the container', async () => {
    assert.equal(await out(['run', '--rm', '--hostname', 'hn1', '--domainname', 'example.test', 'busybox', 'sh', '-c', 'hostname; cat /proc/sys/kernel/domainname']), 'hn1\nexample.test\n');
  });

  test('--dns, --dns-option, --dns-search (HostConfig.Dns, DnsOptions, DnsSearch) write resolv.conf', async () => {
    const conf = await out(['run', '--rm', '--dns', '192.0.2.53', '--dns-option', 'ndots:3', '--dns-search', 'a.test', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.match(conf, /^nameserver 192\.0\.2\.53$/m);
    assert.match(conf, /^options ndots:3$/m);
    assert.match(conf, /^search a\.test$/m);
  });

  test('--sysctl (HostConfig.Sysctls) sets a namespaced kernel parameter', async () => {
    assert.equal(await out(['run', '--rm', '--sysctl', 'net.ipv4.ip_unprivileged_port_start=99', 'busybox', 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start']), '99\n');
  });

  test('--stop-signal (Config.StopSignal) is what docker stop sends; --stop-timeout (Config.StopTimeout) is kept', async () => {
    await out(['run', '-d', '--name', 'stopsig', '--stop-signal', 'SIGUSR1', '--stop-timeout', '7', 'busybox', 'sh', '-c', 'trap "exit 42" USR1; while true; do sleep 0.1; done']);
    assert.equal((await out(['inspect', '-f', '{{.Config.StopSignal}} {{.Config.StopTimeout}}', 'stopsig'])).trim(), 'SIGUSR1 7');
    await out(['stop', 'stopsig']);
    assert.equal((await out(['inspect', '-f', '{{.State.ExitCode}}', 'stopsig'])).trim(), '42');
    await out(['rm', 'stopsig']);
  });

  test('--cidfile (HostConfig.ContainerIDFile) is written by the CLI and kept in inspect', async () => {
    const dir = await mkdtemp('/tmp/berth-cidfile-');
    try {
      const id = (await out(['create', '--name', 'cid', '--cidfile', `${dir}/cid`, 'busybox', 'true'])).trim();
      assert.equal(await readFile(`${dir}/cid`, 'utf8'), id);
      assert.equal((await out(['inspect', '-f', '{{.HostConfig.ContainerIDFile}}', 'cid'])).trim(), `${dir}/cid`);
      await out(['rm', 'cid']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('--cgroup-parent (HostConfig.CgroupParent) places the container under that parent', async () => {
    const cg = await out(['run', '--rm', '--cgroup-parent', '/berth-fields-parent', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.match(cg, /:memory:\/berth-fields-parent\/[0-9a-f]{64}/);
  });

  test('--cpuset-mems (HostConfig.CpusetMems) and --memory-swappiness (HostConfig.MemorySwappiness) reach the cgroup', async () => {
    const id = (await out(['run', '-d', '--cpuset-mems', '0', '--memory-swappiness', '17', 'busybox', 'sleep', '60'])).trim();
    const pid = (await out(['inspect', '-f', '{{.State.Pid}}', id])).trim();
    const cgroups = await readFile(`/proc/${pid}/cgroup`, 'utf8');
    const path = (ctl: string): string => new RegExp(`:${ctl}[^:]*:(.*)$`, 'm').exec(cgroups)?.[1] ?? '';
    assert.equal((await readFile(`/sys/fs/cgroup/memory${path('memory')}/memory.swappiness`, 'utf8')).trim(), '17');
    assert.equal((await readFile(`/sys/fs/cgroup/cpuset${path('cpuset')}/cpuset.mems`, 'utf8')).trim(), '0');
    await out(['rm', '-f', id]);
  });

  test('--runtime (HostConfig.Runtime): runc runs; an unknown runtime is refused at create', async () => {
    assert.equal(await out(['run', '--rm', '--runtime', 'runc', 'busybox', 'echo', 'ok']), 'ok\n');
    const bad = await docker(['create', '--runtime', 'nosuchrt', 'busybox', 'true']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unknown or invalid runtime name: nosuchrt/);
  });

  test('--platform on create: linux/amd64 runs the amd64 image', async () => {
    assert.equal(await out(['run', '--rm', '--platform', 'linux/amd64', 'busybox', 'echo', 'amd64']), 'amd64\n');
  });

  test('--health-start-interval (Healthcheck.StartInterval) probes often during the start period', async () => {
    await out(['run', '-d', '--name', 'hsi', '--health-cmd', 'true', '--health-interval', '1h', '--health-start-period', '30s', '--health-start-interval', '300ms', 'busybox', 'sleep', '60']);
    let status = '';
    for (let i = 0; i < 40 && status !== 'healthy'; i++) {
      status = (await out(['inspect', '-f', '{{.State.Health.Status}}', 'hsi'])).trim();
      if (status !== 'healthy') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 'healthy');
    await out(['rm', '-f', 'hsi']);
  });

  test('Windows-only resources as dockerd on Linux: CpuCount/CpuPercent discarded with its warnings, IOMaximumIOps/IOMaximumBandwidth refused', async () => {
    const r = await api(h, 'POST', '/containers/create?name=wincpu', { Image: 'busybox', Cmd: ['true'], HostConfig: { CpuCount: 2, CpuPercent: 50 } });
    assert.equal(r.status, 201);
    assert.deepEqual(r.json['Warnings'], ['linux does not support CPU percent. Percent discarded.', 'linux does not support CPU count. Count discarded.']);
    const insp = (await api(h, 'GET', '/containers/wincpu/json')).json as { HostConfig: { CpuCount: number; CpuPercent: number } };
    assert.deepEqual([insp.HostConfig.CpuCount, insp.HostConfig.CpuPercent], [0, 0]);
    await api(h, 'DELETE', '/containers/wincpu');
    for (const field of ['IOMaximumIOps', 'IOMaximumBandwidth']) {
      const bad = await api(h, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { [field]: 100 } });
      assert.equal(bad.status, 400, field);
      assert.equal(bad.json['message'], 'Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
    }
  });
});
