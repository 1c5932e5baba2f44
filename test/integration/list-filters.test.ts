import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { loadBusybox, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

function apiJson(h: BerthdHarness, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    request({ socketPath: h.socket, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as unknown));
    })
      .on('error', reject)
      .end();
  });
}

const names = async (h: BerthdHarness, filters: unknown, extra = ''): Promise<string[]> =>
  ((await apiJson(h, `/containers/json?all=1${extra}&filters=${encodeURIComponent(JSON.stringify(filters))}`)) as Array<{ Names: string[] }>)
    .map((c) => (c.Names[0] ?? '').slice(1))
    .sort();

// dockerd's filter semantics: every label filter must match (AND), values of other keys are alternatives (OR).
describe('list filters as dockerd applies them', () => {
  let h: BerthdHarness;
  before(async () => {
    h = await startBerthd('list-filters');
    await loadBusybox(h);
    for (const [name, labels] of [['fa', ['p=1', 's=web']], ['fb', ['p=1', 's=db']], ['fc', ['p=2', 's=web', 'oneoff']]] as const) {
      const r = await runCli('docker', ['create', '--name', name, ...labels.flatMap((l) => ['--label', l]), 'busybox', 'true'], { env: h.env });
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => h?.stop());

  test('several label filters must all match (docker-compose lists project + service labels together)', async () => {
    assert.deepEqual(await names(h, { label: ['p=1', 's=web'] }), ['fa']);
    assert.deepEqual(await names(h, { label: ['p=1', 's=nope'] }), []);
  });

  test('label=KEY matches containers that have the key; the map encoding works like the list one', async () => {
    assert.deepEqual(await names(h, { label: ['oneoff'] }), ['fc']);
    assert.deepEqual(await names(h, { label: { 'p=1': true, 's=db': true } }), ['fb']);
  });

  test('values of one other key are alternatives; keys are combined with AND', async () => {
    assert.deepEqual(await names(h, { name: ['fa', 'fb'] }), ['fa', 'fb']);
    assert.deepEqual(await names(h, { name: ['fa', 'fb'], label: ['s=db'] }), ['fb']);
    assert.deepEqual(await names(h, { status: ['created', 'running'], label: ['p=2'] }), ['fc']);
  });

  test('limit and the docker CLI --filter flags give the same answers', async () => {
    const r = await runCli('docker', ['ps', '-a', '--filter', 'label=p=1', '--filter', 'label=s=web', '--format', '{{.Names}}'], { env: h.env });
    assert.equal(r.stdout.trim(), 'fa');
    assert.equal((await names(h, { label: ['p=1'] }, '&limit=1')).length, 1);
  });

  test('event filters with two labels need both', async () => {
    const since = Math.floor(Date.now() / 1000) - 600;
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await runCli('docker', ['events', '--since', String(since), '--until', String(until), '--filter', 'event=create', '--filter', 'label=p=1', '--filter', 'label=s=db', '--format', '{{.Actor.Attributes.name}}'], { env: h.env });
    assert.equal(r.stdout.trim(), 'fb');
  });

  test('volume, network and image lists AND their label filters too (dangling, driver keys)', async () => {
    for (const [name, labels] of [['va', ['x=1', 'y=1']], ['vb', ['x=1']]] as const) {
      assert.equal((await runCli('docker', ['volume', 'create', ...labels.flatMap((l) => ['--label', l]), name], { env: h.env })).code, 0);
      assert.equal((await runCli('docker', ['network', 'create', ...labels.flatMap((l) => ['--label', l]), `n${name}`], { env: h.env })).code, 0);
    }
    const vols = (await apiJson(h, `/volumes?filters=${encodeURIComponent(JSON.stringify({ label: ['x=1', 'y=1'], dangling: ['true'] }))}`)) as { Volumes: Array<{ Name: string }> };
    assert.deepEqual(vols.Volumes.map((v) => v.Name), ['va']);
    const nets = (await apiJson(h, `/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['x=1', 'y=1'], driver: ['bridge'] }))}`)) as Array<{ Name: string }>;
    assert.deepEqual(nets.map((n) => n.Name), ['nva']);
    const imgs = (await apiJson(h, `/images/json?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'] }))}`)) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(imgs.map((i) => i.RepoTags), [['busybox:latest']]);
    const prune = (await apiJson(h, `/networks?filters=${encodeURIComponent(JSON.stringify({ until: ['1h'] }))}`)) as unknown;
    assert.ok(Array.isArray(prune) || typeof prune === 'object');
  });

  test('an unknown filter or value is dockerd 20.10\'s 400 "Invalid filter …" on every list and prune', async () => {
    const cases: Array<[string[], string]> = [
      [['ps', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['ps', '--filter', 'status=bogus'], "Invalid filter 'status=bogus'"],
      [['images', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['images', '--filter', 'dangling=maybe'], "Invalid filter 'dangling=[maybe]'"],
      [['volume', 'ls', '--filter', 'dangling=maybe'], "Invalid filter 'dangling=[maybe]'"],
      [['volume', 'ls', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['network', 'ls', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['network', 'ls', '--filter', 'type=bogus'], "invalid filter: 'type'='bogus'"],
      [['container', 'prune', '-f', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['volume', 'prune', '-f', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['network', 'prune', '-f', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
      [['image', 'prune', '-f', '--filter', 'bogus=1'], "Invalid filter 'bogus'"],
    ];
    for (const [args, text] of cases) {
      const r = await runCli('docker', args, { env: h.env });
      assert.equal(r.code, 1, `docker ${args.join(' ')}`);
      assert.equal(r.stderr.trim(), `Error response from daemon: ${text}`, `docker ${args.join(' ')}`);
    }
  });

  test('network= matches the networks a container is on (by name or id), connected ones too, as dockerd', async () => {
    const docker = async (args: string[]): Promise<string> => {
      const r = await runCli('docker', args, { env: h.env });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const netId = await docker(['network', 'create', 'lfnet']);
    await docker(['run', '-d', '--name', 'lfa', '--network', 'lfnet', 'busybox', 'sleep', '60']);
    await docker(['run', '-d', '--name', 'lfc', 'busybox', 'sleep', '60']);
    await docker(['network', 'connect', 'lfnet', 'lfc']);
    const only = (list: string[]): string[] => list.filter((n) => n.startsWith('lf'));
    assert.deepEqual(only(await names(h, { network: ['lfnet'] })), ['lfa', 'lfc']);
    assert.deepEqual(only(await names(h, { network: [netId] })), ['lfa', 'lfc']);
    assert.deepEqual(only(await names(h, { network: ['bridge'] })), ['lfc']);
    await docker(['rm', '-f', 'lfa', 'lfc']);
    await docker(['network', 'rm', 'lfnet']);
  });
});
