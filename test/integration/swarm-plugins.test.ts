import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

const notManager = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

function api(h: BerthdHarness, method: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: h.socket, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

// Expectations taken from Debian's dockerd 20.10 on a node outside any swarm.
describe('swarm and plugin endpoints answer as a standalone dockerd', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('swarm-plugins');
  });
  after(async () => h?.stop());

  test('docker swarm leave: "This node is not part of a swarm", exit 1', async () => {
    const r = await runCli('docker', ['swarm', 'leave', '--force'], { env: h.env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error response from daemon: This node is not part of a swarm');
  });

  for (const args of [['node', 'ls'], ['service', 'ls'], ['secret', 'ls'], ['config', 'ls']]) {
    test(`docker ${args.join(' ')}: 503, not a swarm manager, exit 1`, async () => {
      const r = await runCli('docker', args, { env: h.env });
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), `Error response from daemon: ${notManager}`);
    });
  }

  test('GET /swarm, /nodes, /services, /tasks, /secrets, /configs are 503 with Docker\'s message', async () => {
    for (const path of ['/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs', '/v1.41/swarm/unlockkey']) {
      const r = await api(h, 'GET', path);
      assert.equal(r.status, 503, path);
      assert.deepEqual(JSON.parse(r.body), { message: notManager }, path);
    }
  });

  test('docker plugin ls prints an empty table; plugin inspect is plugin "x" not found (404)', async () => {
    const ls = await runCli('docker', ['plugin', 'ls'], { env: h.env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^ID +NAME +DESCRIPTION +ENABLED\n$/);
    const inspect = await runCli('docker', ['plugin', 'inspect', 'x'], { env: h.env });
    assert.equal(inspect.code, 1);
    assert.match(inspect.stderr, /Error response from daemon: plugin "x" not found/);
    const raw = await api(h, 'GET', '/plugins/x/json');
    assert.equal(raw.status, 404);
    for (const [method, path] of [['DELETE', '/plugins/x?force=1'], ['POST', '/plugins/x/enable?timeout=1'], ['POST', '/plugins/x/disable?force=1']] as const) {
      assert.equal((await api(h, method, path)).status, 404, path);
    }
  });
});
