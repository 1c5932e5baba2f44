/**
 * Malicious archives on every path that takes one: image load, import, build
 * context and PUT /containers/{id}/archive. Each must leave a sentinel
 * directory outside the daemon's roots untouched, answer without a 5xx, and
 * keep the daemon serving. A gzip bomb is stopped by the decompression limit.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadBusybox, ping, runCli, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';
import { api, imageArchive, makeTar, snapshot, zeroBomb, type ApiReply, type TarEntry } from '../security/hostile-lib.js';

/** The malicious entry sets; `s` is the sentinel directory (absolute). */
function hostileSets(s: string, depth = 1500): Record<string, TarEntry[]> {
  const up = '../'.repeat(12);
  return {
    dotdot: [{ name: `${up}${s.slice(1)}/dotdot`, body: 'pwned' }],
    absolute: [{ name: `${s}/absolute`, body: 'pwned' }],
    'symlink escape': [
      { name: 'lnk', type: 'symlink', linkname: s },
      { name: 'lnk/via-symlink', body: 'pwned' },
    ],
    'relative symlink escape': [
      { name: 'rel', type: 'symlink', linkname: `${up}${s.slice(1)}` },
      { name: 'rel/via-relative', body: 'pwned' },
    ],
    'hardlink escape': [
      { name: 'hl', type: 'link', linkname: `${s}/victim` },
      { name: 'hl2', type: 'link', linkname: `${up}${s.slice(1)}/victim` },
    ],
    'hardlink through symlink': [
      { name: 'ldir', type: 'symlink', linkname: s },
      { name: 'hl3', type: 'link', linkname: 'ldir/victim' },
    ],
    'device nodes': [
      { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o666 },
      { name: 'mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 },
    ],
    setuid: [{ name: 'suid', body: '#!/bin/sh\n', mode: 0o4755 }],
    'deeply nested': [{ name: `${'d/'.repeat(depth)}deep`, body: 'x' }],
    'newline names': [{ name: 'bad\nname', body: 'x' }, { name: 'dir\n/', type: 'directory' }],
  };
}

/** A refused request leaves nothing new behind (temp dirs of earlier requests may still be going away). */
function assertNoGrowth(after: Record<string, unknown>, before: Record<string, unknown>, label: string): void {
  const { tmp: tmpAfter, ...restAfter } = after;
  const { tmp: tmpBefore, ...restBefore } = before;
  assert.deepEqual(restAfter, restBefore, `${label}: a refused request left state behind`);
  const extra = (tmpAfter as string[]).filter((t) => !(tmpBefore as string[]).includes(t));
  assert.deepEqual(extra, [], `${label}: a refused request left temp files behind`);
}

const messageOf = (r: ApiReply): string => {
  try {
    return (JSON.parse(r.body) as { message?: string }).message ?? r.body;
  } catch {
    return r.body;
  }
};

describe('hostile archives write nothing outside their root', () => {
  let h: BerthdHarness;
  // Hostile bodies go straight to the daemon's socket, as in the other hostile suites: the harness's validating relay
  // cannot hand on a reply the daemon sends while it refuses a body still arriving (the relay's write fails first).
  const daemon = (): Pick<BerthdHarness, 'socket'> => ({ socket: h.daemonSocket });
  let sentinel: string;
  let cid: string;
  let sentinelState: string;
  const counts = { tried: 0, rejected: 0, accepted: 0 };

  before(async () => {
    h = await startBerthd('hostile-archives', { env: { BERTH_MAX_DECOMPRESSED_BYTES: String(48 << 20) } });
    await loadBusybox(h);
    sentinel = await mkdtemp('/dev/shm/berth-sentinel-');
    await writeFile(`${sentinel}/victim`, 'original\n');
    sentinelState = await sentinelSnapshot();
    const r = await api(daemon(), 'POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['sleep', '600'] }));
    assert.equal(r.status, 201, r.body);
    cid = (JSON.parse(r.body) as { Id: string }).Id;
  });
  after(async () => {
    process.stdout.write(`# hostile archives: ${counts.tried} tried, ${counts.rejected} rejected cleanly, ${counts.accepted} neutralised\n`);
    await h?.stop();
    if (sentinel) await rm(sentinel, { recursive: true, force: true });
  });

  async function sentinelSnapshot(): Promise<string> {
    const names = (await readdir(sentinel)).sort();
    const victim = await stat(`${sentinel}/victim`);
    return JSON.stringify({ names, nlink: victim.nlink, mode: victim.mode, content: await readFile(`${sentinel}/victim`, 'utf8') });
  }

  /** Common checks: no 5xx, no hang, the sentinel untouched, the daemon alive. */
  async function check(label: string, r: ApiReply): Promise<void> {
    counts.tried++;
    assert.ok(!r.timedOut, `${label}: no answer in time`);
    assert.ok(r.status > 0 && r.status < 500, `${label}: status ${r.status} ${r.body.slice(0, 500)}`);
    assert.equal(await sentinelSnapshot(), sentinelState, `${label}: the sentinel changed`);
    assert.ok(await ping(h.daemonSocket, 5_000), `${label}: daemon stopped answering`);
    const refused = r.status >= 400 || /"error(Detail)?"/.test(r.body);
    if (refused) {
      counts.rejected++;
      assert.ok(messageOf(r).length > 0, `${label}: refused without a message`);
    } else counts.accepted++;
  }

  test('image load: malicious layer entries and malicious archive members', async () => {
    for (const [name, entries] of Object.entries(hostileSets(sentinel))) {
      const before = await snapshot(h);
      const archive = await imageArchive(await makeTar(entries), `hostile/load:${name.replace(/\W+/g, '-')}`);
      const r = await api(daemon(), 'POST', '/images/load?quiet=1', archive, { contentType: 'application/x-tar', timeoutMs: 60_000 });
      await check(`load ${name}`, r);
      if (r.status >= 400 || /"error/.test(r.body)) assertNoGrowth(await snapshot(h), before, `load ${name}`);
    }
    // Members of the archive itself that try to leave the extraction directory.
    const layer = await makeTar([{ name: 'ok', body: 'ok' }]);
    for (const [name, entries] of Object.entries(hostileSets(sentinel)).slice(0, 6)) {
      const archive = await imageArchive(layer, 'hostile/outer:latest', entries);
      await check(`load outer ${name}`, await api(daemon(), 'POST', '/images/load?quiet=1', archive, { contentType: 'application/x-tar', timeoutMs: 60_000 }));
    }
  });

  test('image import (fromSrc=-): malicious entries', async () => {
    for (const [name, entries] of Object.entries(hostileSets(sentinel))) {
      const before = await snapshot(h);
      const r = await api(daemon(), 'POST', `/images/create?fromSrc=-&repo=hostile/import&tag=${encodeURIComponent(name.replace(/\W+/g, '-'))}`, await makeTar(entries), {
        contentType: 'application/x-tar',
        timeoutMs: 60_000,
      });
      await check(`import ${name}`, r);
      if (r.status >= 400 || /"error/.test(r.body)) assertNoGrowth(await snapshot(h), before, `import ${name}`);
    }
  });

  test('build context: malicious entries next to a Dockerfile', async () => {
    // The full depth: unpacking the context and applying the COPY layer no longer walk every level per entry.
    for (const [name, entries] of Object.entries(hostileSets(sentinel))) {
      const ctx = await makeTar([{ name: 'Dockerfile', body: 'FROM busybox\nCOPY . /ctx/\n' }, ...entries]);
      const r = await api(daemon(), 'POST', `/build?t=hostile/build:${name.replace(/\W+/g, '-')}&rm=1&forcerm=1`, ctx, { contentType: 'application/x-tar', timeoutMs: 120_000 });
      await check(`build ${name}`, r);
    }
    const left = JSON.parse((await api(daemon(), 'GET', '/containers/json?all=1')).body) as { Id: string }[];
    assert.deepEqual(left.map((c) => c.Id), [cid], 'build left intermediate containers');
  });

  test('PUT /containers/{id}/archive: malicious entries', async () => {
    for (const [name, entries] of Object.entries(hostileSets(sentinel))) {
      const r = await api(daemon(), 'PUT', `/containers/${cid}/archive?path=/tmp`, await makeTar(entries), { contentType: 'application/x-tar', timeoutMs: 60_000 });
      await check(`put-archive ${name}`, r);
    }
    // Nothing written through the container's own symlinks either: /tmp/lnk points at the sentinel path inside the container.
    const ls = await runCli('docker', ['exec', cid, 'ls', '-la', '/tmp'], { env: h.env }).catch(() => undefined);
    if (ls) assert.doesNotMatch(ls.stdout, /via-symlink|dotdot|absolute\b/);
  });

  test('a gzip bomb is stopped by the decompression limit on every path', async () => {
    const bomb = await zeroBomb(256 << 20); // 256 MiB of zeros, about 250 KiB compressed; the limit is 48 MiB
    const paths: [string, string, Buffer][] = [
      ['import', '/images/create?fromSrc=-&repo=hostile/bomb', bomb],
      ['put-archive', `/containers/${cid}/archive?path=/tmp`, bomb],
      ['build', '/build?t=hostile/bomb', bomb],
    ];
    for (const [label, path, body] of paths) {
      const before = await snapshot(h);
      const r = await api(daemon(), label === 'put-archive' ? 'PUT' : 'POST', path, body, { contentType: 'application/x-tar', timeoutMs: 120_000 });
      await check(`bomb ${label}`, r);
      assert.match(r.body, /decompress|limit/i, `bomb ${label}: ${r.body.slice(0, 300)}`);
      if (label !== 'put-archive') assertNoGrowth(await snapshot(h), before, `bomb ${label}`);
    }
    // A layer inside an image archive that is a bomb.
    const archive = await imageArchive(bomb, 'hostile/bomb:layer');
    const r = await api(daemon(), 'POST', '/images/load?quiet=1', archive, { contentType: 'application/x-tar', timeoutMs: 120_000 });
    await check('bomb load', r);
    assert.match(r.body, /decompress|limit/i, `bomb load: ${r.body.slice(0, 300)}`);
  });
});
