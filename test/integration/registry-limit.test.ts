import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { layerTar, putLayers, sha256, startRegistry, type TestRegistry } from './registry-helper.js';

/** Puts a one-layer image straight into the registry over the distribution API. */
async function putImage(base: string, repo: string, n: number): Promise<void> {
  const layer = await layerTar({ [`file-${n}.txt`]: `image ${n}\n` });
  await putLayers(base, repo, [gzipSync(layer)], [sha256(layer)]);
}

/**
 * A proxy in front of the registry that holds every blob GET for `delayMs`
 * and records how many were in flight at once.
 */
async function slowProxy(target: number, delayMs: number): Promise<{ server: Server; port: number; maxBlobGets: () => number }> {
  let inFlight = 0;
  let max = 0;
  const server = createServer((req, res) => {
    const isBlobGet = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    if (isBlobGet) max = Math.max(max, ++inFlight);
    const forward = (): void => {
      const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        upRes.on('end', () => {
          if (isBlobGet) inFlight--;
        });
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (isBlobGet) setTimeout(forward, delayMs);
    else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port, maxBlobGets: () => max };
}

describe('pulls run under the daemon limit for expensive image operations', () => {
  let reg: TestRegistry;
  let h: BerthdHarness;
  let proxy: Awaited<ReturnType<typeof slowProxy>>;
  const COUNT = 4;

  before(async () => {
    reg = await startRegistry('h5-limit');
    for (let i = 0; i < COUNT; i++) await putImage(`http://127.0.0.1:${reg.port}`, `limit/img${i}`, i);
    proxy = await slowProxy(reg.port, 400);
    h = await startBerthd('h5-limit', { bridge: 'none', env: { BERTH_MAX_CONCURRENT_IMAGE_OPS: '1' } });
  });
  after(async () => {
    await h?.stop();
    if (proxy) {
      proxy.server.closeAllConnections();
      await new Promise((r) => proxy.server.close(r));
    }
    await reg?.stop();
  });

  test('a flood of pulls runs one at a time while the daemon keeps answering', async () => {
    const host = `localhost:${proxy.port}`;
    const started = Date.now();
    const pulls = Array.from({ length: COUNT }, (_, i) => runCli('docker', ['pull', `${host}/limit/img${i}`], { env: h.env, timeoutMs: 120_000 }));
    // cheap requests do not wait behind the queued pulls
    await new Promise((r) => setTimeout(r, 300));
    const t = Date.now();
    const ping = await runCli('docker', ['images', '-q'], { env: h.env, timeoutMs: 30_000 });
    assert.equal(ping.code, 0, ping.stderr);
    assert.ok(Date.now() - t < 5_000, `docker images took ${Date.now() - t} ms during the pulls`);
    const results = await Promise.all(pulls);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    // each pull fetches its config then its layer; with one slot no two blob GETs overlap
    assert.equal(proxy.maxBlobGets(), 1);
    assert.ok(Date.now() - started >= COUNT * 2 * 400, 'the pulls ran one after the other');
    const ls = await runCli('docker', ['images', '--format', '{{.Repository}}'], { env: h.env });
    for (let i = 0; i < COUNT; i++) assert.match(ls.stdout, new RegExp(`${host}/limit/img${i}\\n`));
  });

  test('a queued pull whose client goes away leaves the queue', async () => {
    const host = `localhost:${proxy.port}`;
    await runCli('docker', ['rmi', `${host}/limit/img0`, `${host}/limit/img1`], { env: h.env });
    const first = runCli('docker', ['pull', `${host}/limit/img0`], { env: h.env, timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 200));
    // the second waits for the slot; its client gives up
    const gone = runCli('docker', ['pull', `${host}/limit/img1`], { env: h.env, timeoutMs: 300 });
    await gone.catch(() => undefined);
    assert.equal((await first).code, 0);
    const again = await runCli('docker', ['pull', `${host}/limit/img1`], { env: h.env, timeoutMs: 60_000 });
    assert.equal(again.code, 0, again.stderr);
  });
});
