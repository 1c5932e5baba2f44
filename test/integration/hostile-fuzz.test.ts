/**
 * The quick, deterministic part of the API fuzzer (fixed seed, up to 2000
 * cases) and the regressions it found; the long randomised run is
 * `npm run test:security`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { loadBusybox, ping, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { api } from '../security/hostile-lib.js';
import { fuzzSession } from '../security/fuzz-body.js';

test('API fuzz with a fixed seed: no 5xx, no hang, no crash, no leak', async () => {
  await fuzzSession('hostile-fuzz', { seed: Number(process.env.BERTH_FUZZ_SEED ?? 20261129), maxCases: 2000, maxMs: 40_000 });
});

/** Sends raw bytes on a fresh connection, destroys it after the first reply bytes (or 2 s). */
function rawThenHangUp(h: BerthdHarness, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(h.daemonSocket);
    let got = '';
    const finish = (): void => {
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(finish, 2_000);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      clearTimeout(timer);
      finish();
    });
    s.on('error', finish);
    s.write(bytes);
  });
}

describe('regressions found by the fuzzer', () => {
  let h: BerthdHarness;
  let cid: string;
  before(async () => {
    h = await startBerthd('hostile-regress');
    await loadBusybox(h);
    const r = await api(h, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }));
    cid = (JSON.parse(r.body) as { Id: string }).Id;
  });
  after(async () => {
    await h?.stop();
  });

  test('a client hanging up during GET /archive or /export does not crash the daemon', async () => {
    for (const path of [`/containers/${cid}/archive?path=/etc/hostname`, `/containers/${cid}/archive?path=/bin`, `/containers/${cid}/export`]) {
      for (let i = 0; i < 5; i++) {
        // A request followed by garbage (the parser then kills the connection mid-stream), and a plain hang-up.
        await rawThenHangUp(h, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n${i % 2 === 0 ? '2104206361' : ''}`);
        assert.ok(await ping(h.daemonSocket, 5_000), `daemon died after a hang-up on ${path}`);
      }
    }
  });

  test('wrongly typed create/exec/update fields are a 400 like Go\'s JSON decoder, not a 500', async () => {
    const create = await api(h, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Env: 1211760163 }));
    assert.equal(create.status, 400, create.body);
    assert.match(create.body, /cannot unmarshal number into Go struct field Config\.Env of type \[\]string/);
    const host = await api(h, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { Memory: 'lots' } }));
    assert.equal(host.status, 400, host.body);
    assert.match(host.body, /HostConfig\.Memory of type int64/);
    const exec = await api(h, 'POST', `/containers/${cid}/exec`, JSON.stringify({ Cmd: ['true'], Privileged: 7 }));
    assert.equal(exec.status, 400, exec.body);
    const update = await api(h, 'POST', `/containers/${cid}/update`, JSON.stringify({ CpuShares: 1.5 }));
    assert.equal(update.status, 400, update.body);
    const ok = await api(h, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: 'true', Entrypoint: null, HostConfig: { CapAdd: 'NET_ADMIN' } }));
    assert.equal(ok.status, 201, ok.body);
  });

  test('nulls are Go zero values, and network create fields are typed (seed 191605526)', async () => {
    const create = await api(h, 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true', null], WorkingDir: null, Env: ['A=1', null], StopTimeout: null }));
    assert.equal(create.status, 201, create.body);
    const net = await api(h, 'POST', '/networks/create', JSON.stringify({ Name: 'fznet', Attachable: ['../../etc/passwd', 79] }));
    assert.equal(net.status, 400, net.body);
    assert.match(net.body, /cannot unmarshal array into Go struct field NetworkCreateRequest\.Attachable of type bool/);
    const nullConfig = await api(h, 'POST', '/networks/create', JSON.stringify({ Name: 'fznull', IPAM: { Config: [{ Subnet: '10.213.7.0/24', Gateway: '10.213.7.1' }, null] } }));
    assert.ok(nullConfig.status < 500, nullConfig.body);
    if (nullConfig.status === 201) assert.equal((await api(h, 'DELETE', '/networks/fznull', '')).status, 204);
  });

  test('an over-long volume name is a 400', async () => {
    const r = await api(h, 'POST', '/volumes/create', JSON.stringify({ Name: 'x'.repeat(300) }));
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /too long/);
  });
});
