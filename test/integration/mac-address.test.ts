import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

/*
 * --mac-address: Config.MacAddress (API < 1.44, answers taken from the
 * reference dockerd 20.10) and NetworkingConfig.EndpointsConfig.<net>.MacAddress
 * (API ≥ 1.44, what docker CLI v28 sends; moby's handleMACAddressBC migrates
 * the old field into it with a deprecation warning).
 */

interface ApiReply {
  status: number;
  body: string;
}

function api(h: BerthdHarness, method: string, path: string, body?: unknown): Promise<ApiReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: h.socket, method, path, headers: payload !== undefined ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const messageOf = (r: ApiReply): string => (JSON.parse(r.body) as { message: string }).message;

type Inspect = {
  Config: { MacAddress?: string };
  NetworkSettings: { MacAddress: string; Networks: Record<string, { MacAddress: string }> };
};

describe('--mac-address', () => {
  let h: BerthdHarness;

  before(async () => {
    h = await startBerthd('mac-address');
    await loadBusybox(h);
    const n = await runCli('docker', ['network', 'create', 'macnet'], { env: h.env });
    assert.equal(n.code, 0, n.stderr);
  });
  after(async () => {
    await h?.stop();
  });

  const docker = (args: readonly string[]): ReturnType<typeof runCli> => runCli('docker', args, { env: h.env });
  const inspect = async (name: string, version = 'v1.50'): Promise<Inspect> => JSON.parse((await api(h, 'GET', `/${version}/containers/${name}/json`)).body) as Inspect;

  test('the CLI\'s per-endpoint MAC lands on eth0 and in inspect, before and after start', async () => {
    const c = await docker(['create', '--name', 'mac-cli', '--mac-address', '02:42:AC:11:00:98', 'busybox', 'sleep', '30']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await inspect('mac-cli')).NetworkSettings.Networks['bridge']?.MacAddress, '02:42:AC:11:00:98');
    assert.equal((await docker(['start', 'mac-cli'])).code, 0);
    const i = await inspect('mac-cli');
    assert.equal(i.NetworkSettings.MacAddress, '02:42:ac:11:00:98');
    assert.equal(i.NetworkSettings.Networks['bridge']?.MacAddress, '02:42:ac:11:00:98');
    assert.equal((await docker(['exec', 'mac-cli', 'cat', '/sys/class/net/eth0/address'])).stdout.trim(), '02:42:ac:11:00:98');
    await docker(['rm', '-f', 'mac-cli']);
  });

  test('on a user network too', async () => {
    const r = await docker(['run', '--rm', '--network', 'macnet', '--mac-address', '02:42:ac:11:00:97', 'busybox', 'cat', '/sys/class/net/eth0/address']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '02:42:ac:11:00:97');
  });

  test('API 1.41 Config.MacAddress: kept in Config as given, applied normalised', async () => {
    const r = await api(h, 'POST', '/v1.41/containers/create?name=mac-old', { Image: 'busybox', Cmd: ['sleep', '30'], MacAddress: '02-42-AC-11-00-99', HostConfig: { NetworkMode: 'macnet' } });
    assert.equal(r.status, 201, r.body);
    assert.equal((await api(h, 'POST', '/v1.41/containers/mac-old/start')).status, 204);
    const i = await inspect('mac-old', 'v1.41');
    assert.equal(i.Config.MacAddress, '02-42-AC-11-00-99');
    assert.equal(i.NetworkSettings.Networks['macnet']?.MacAddress, '02:42:ac:11:00:99');
    assert.equal((await docker(['exec', 'mac-old', 'cat', '/sys/class/net/eth0/address'])).stdout.trim(), '02:42:ac:11:00:99');
    await docker(['rm', '-f', 'mac-old']);
  });

  test('API ≥ 1.44 Config.MacAddress moves to the endpoint with the deprecation warning', async () => {
    const r = await api(h, 'POST', '/v1.47/containers/create?name=mac-bc', { Image: 'busybox', Cmd: ['true'], MacAddress: '02:42:ac:11:00:96' });
    assert.equal(r.status, 201, r.body);
    assert.deepEqual((JSON.parse(r.body) as { Warnings: string[] }).Warnings, ['The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.']);
    const i = await inspect('mac-bc', 'v1.47');
    assert.equal(i.Config.MacAddress, undefined);
    assert.equal(i.NetworkSettings.Networks['bridge']?.MacAddress, '02:42:ac:11:00:96');
    const mismatch = await api(h, 'POST', '/v1.47/containers/create?name=mac-bc2', {
      Image: 'busybox', Cmd: ['true'], MacAddress: '02:42:ac:11:00:96', HostConfig: { NetworkMode: 'macnet' },
      NetworkingConfig: { EndpointsConfig: { macnet: { MacAddress: '02:42:ac:11:00:95' } } },
    });
    assert.equal(mismatch.status, 400);
    assert.equal(messageOf(mismatch), 'the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty');
  });

  test('host and container network modes conflict at create (400); none accepts and ignores it', async () => {
    for (const mode of ['host', 'container:other']) {
      const r = await api(h, 'POST', '/v1.41/containers/create?name=mac-conflict', { Image: 'busybox', MacAddress: '02:42:ac:11:00:99', HostConfig: { NetworkMode: mode } });
      assert.equal(r.status, 400, mode);
      assert.equal(messageOf(r), 'conflicting options: mac-address and the network mode');
    }
    const cli = await docker(['run', '--rm', '--network', 'host', '--mac-address', '02:42:ac:11:00:99', 'busybox', 'true']);
    assert.equal(cli.code, 125);
    assert.match(cli.stderr, /Error response from daemon: conflicting options: mac-address and the network mode/);
    const none = await api(h, 'POST', '/v1.41/containers/create?name=mac-none', { Image: 'busybox', Cmd: ['true'], MacAddress: '02:42:ac:11:00:99', HostConfig: { NetworkMode: 'none' } });
    assert.equal(none.status, 201, none.body);
    assert.equal((await api(h, 'POST', '/containers/mac-none/start')).status, 204);
  });

  test('an invalid MAC: the CLI refuses it; through the API create succeeds and start is a 500', async () => {
    const cli = await docker(['create', '--mac-address', 'foo', 'busybox']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /foo is not a valid mac address/);
    const r = await api(h, 'POST', '/v1.41/containers/create?name=mac-bad', { Image: 'busybox', Cmd: ['true'], MacAddress: '02:42:ac:11:00:9' });
    assert.equal(r.status, 201, r.body);
    const s = await api(h, 'POST', '/containers/mac-bad/start');
    assert.equal(s.status, 500);
    assert.equal(messageOf(s), 'address 02:42:ac:11:00:9: invalid MAC address');
  });
});
