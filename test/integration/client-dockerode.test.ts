import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, type Readable } from 'node:stream';
import { request } from 'node:http';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { busyboxTarball, loadBusybox, startBerthd, type BerthdHarness } from '../helpers/berthd-harness.js';

// dockerode 4 (devDependency) drives berthd through the harness socket; each expectation is what the same
// calls give against dockerd 20.10 (differences that come from dockerd's version are noted where they are).

const collect = async (s: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const chunk of s) parts.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(parts);
};

/** stdout and stderr of a multiplexed stream, split with dockerode's demuxStream. */
async function demux(docker: Docker, s: NodeJS.ReadableStream): Promise<{ out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const outP = collect(out);
  const errP = collect(err);
  docker.modem.demuxStream(s, out, err);
  await new Promise<void>((resolve, reject) => {
    s.on('end', resolve);
    s.on('close', resolve);
    s.on('error', reject);
  });
  out.end();
  err.end();
  return { out: (await outP).toString(), err: (await errP).toString() };
}

function httpGet(port: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, timeout: 2_000 }, (res) => {
      collect(res).then((b) => resolve(b.toString()), reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function retry<T>(fn: () => Promise<T>, tries = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const statusOf = (err: unknown): number | undefined => (err as { statusCode?: number }).statusCode;

describe('dockerode against berthd', () => {
  let h: BerthdHarness;
  let docker: Docker;

  before(async () => {
    // REFERENCE_DOCKER_SOCKET: run the same expectations against a reference dockerd (busybox loaded) by hand.
    const reference = process.env['REFERENCE_DOCKER_SOCKET'];
    if (reference !== undefined) {
      docker = new Docker({ socketPath: reference });
      return;
    }
    h = await startBerthd('client-dockerode');
    await loadBusybox(h);
    docker = new Docker({ socketPath: h.socket });
  });
  after(async () => {
    await h?.stop();
  });

  test('containers: create, start, wait, logs, env, inspect, label filters, remove', async () => {
    const c = await docker.createContainer({
      name: 'dko-created',
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo out-$A; echo err-$B >&2; exit 3'],
      Env: ['A=1', 'B=two'],
      Labels: { suite: 'dko', role: 'first' },
    });
    const other = await docker.createContainer({ name: 'dko-labelled', Image: 'busybox', Cmd: ['true'], Labels: { suite: 'dko', role: 'second' } });
    assert.equal((await c.inspect()).State.Status, 'created');
    await c.start();
    const res = (await c.wait()) as { StatusCode: number; Error?: unknown };
    assert.equal(res.StatusCode, 3);
    assert.ok(res.Error === undefined || res.Error === null, 'dockerd 20.10 sends Error: null, dockerd ≥ 25 leaves it out');
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    // Not followed: dockerode hands back the multiplexed bytes as one Buffer (stdout/stderr order not kept across streams).
    assert.ok(Buffer.isBuffer(logs));
    assert.deepEqual(splitFrames(logs as unknown as Buffer), { out: 'out-1\n', err: 'err-two\n' });
    const info = await c.inspect();
    assert.equal(info.State.ExitCode, 3);
    assert.ok(info.Config.Env.includes('A=1'));
    assert.equal(info.Name, '/dko-created');

    const names = (f: Record<string, string[]>, all = true) => docker.listContainers({ all, filters: f }).then((l) => l.map((x) => x.Names[0]).sort());
    assert.deepEqual(await names({ label: ['suite=dko'] }), ['/dko-created', '/dko-labelled']);
    assert.deepEqual(await names({ label: ['suite=dko', 'role=second'] }), ['/dko-labelled']);
    assert.deepEqual(await names({ label: ['suite=dko'] }, false), []);
    assert.deepEqual(await names({ status: ['exited'], label: ['suite'] }), ['/dko-created']);

    await c.remove({ v: true });
    await other.remove();
    await assert.rejects(c.inspect(), (err) => statusOf(err) === 404 && /No such container/.test(String(err)));
  });

  test('containers: a published port answers; a running container is not removed without force', async () => {
    const c = await docker.createContainer({
      name: 'dko-web',
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo hi > /i; httpd -f -p 8080 -h /'],
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await c.start();
    const info = await c.inspect();
    const bound = info.NetworkSettings.Ports['8080/tcp'];
    assert.equal(bound?.[0]?.HostIp, '127.0.0.1');
    const port = bound?.[0]?.HostPort ?? '';
    assert.ok(Number(port) > 0);
    assert.equal(await retry(() => httpGet(port, '/i')), 'hi\n');
    const listed = await docker.listContainers({ filters: { name: ['dko-web'] } });
    assert.deepEqual(
      listed[0]?.Ports.map((p) => [p.IP, p.PrivatePort, p.PublicPort, p.Type]),
      [['127.0.0.1', 8080, Number(port), 'tcp']],
    );
    await assert.rejects(c.remove(), (err) => statusOf(err) === 409 && /[Ss]top the container before (removing|attempting removal) or force remove/.test(String(err)));
    await c.remove({ force: true });
  });

  test('exec: stdout and stderr apart, exit code, env, workdir, user', async () => {
    const c = await docker.createContainer({ name: 'dko-exec', Image: 'busybox', Cmd: ['sleep', '600'] });
    await c.start();
    try {
      const e = await c.exec({ Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 7'], AttachStdout: true, AttachStderr: true });
      const stream = await e.start({ hijack: true, stdin: false });
      assert.deepEqual(await demux(docker, stream), { out: 'to-out\n', err: 'to-err\n' });
      const ins = await e.inspect();
      assert.equal(ins.ExitCode, 7);
      assert.equal(ins.Running, false);
      const e2 = await c.exec({ Cmd: ['sh', '-c', 'echo $X; pwd; id -u'], Env: ['X=y'], WorkingDir: '/tmp', User: '1234', AttachStdout: true, AttachStderr: true });
      assert.deepEqual(await demux(docker, await e2.start({ hijack: true, stdin: false })), { out: 'y\n/tmp\n1234\n', err: '' });
      assert.equal((await e2.inspect()).ExitCode, 0);
      const e3 = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
      const duplex = (await e3.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream;
      const got = demux(docker, duplex);
      duplex.end('piped\n');
      assert.deepEqual(await got, { out: 'piped\n', err: '' });
    } finally {
      await c.remove({ force: true });
    }
  });

  test('attach: stdin in, multiplexed output back; the attach ends at the client half-close, the container runs on', async () => {
    const c = await docker.createContainer({
      name: 'dko-attach',
      Image: 'busybox',
      Cmd: ['sh', '-c', 'while read l; do echo got-$l; done'],
      OpenStdin: true,
    });
    await c.start();
    try {
      const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream;
      const got = demux(docker, stream);
      stream.write('one\ntwo\n');
      // The replies first: the half-close ends the attach (dockerd's container/stream/attach.go).
      await new Promise((r) => setTimeout(r, 500));
      stream.end();
      assert.deepEqual(await got, { out: 'got-one\ngot-two\n', err: '' });
      assert.equal((await c.inspect()).State.Running, true);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('logs: a followed stream ends with the container', async () => {
    const c = await docker.createContainer({ name: 'dko-logs', Image: 'busybox', Cmd: ['sh', '-c', 'for i in 1 2 3; do echo line-$i; sleep 0.3; done'] });
    await c.start();
    const started = Date.now();
    const s = await c.logs({ stdout: true, stderr: true, follow: true });
    assert.deepEqual(await demux(docker, s), { out: 'line-1\nline-2\nline-3\n', err: '' });
    assert.ok(Date.now() - started >= 500);
    const tail = (await c.logs({ stdout: true, timestamps: true, tail: 1, follow: false })) as unknown as Buffer;
    assert.match(splitFrames(tail).out, /^20\d\d-\d\d-\d\dT[\d:.]+Z line-3\n$/);
    await c.remove();
  });

  test('images: load, tag, inspect, history, list by reference, remove', async () => {
    const load = await docker.loadImage(bufferStream(await busyboxTarball()));
    const text = (await collect(load as unknown as Readable)).toString();
    assert.match(text, /Loaded image: busybox:latest/);
    const img = docker.getImage('busybox');
    const id = (await img.inspect()).Id;
    await img.tag({ repo: 'dko-img', tag: 'v1' });
    const tagged = await docker.getImage('dko-img:v1').inspect();
    assert.equal(tagged.Id, id);
    assert.deepEqual([...tagged.RepoTags].sort(), ['busybox:latest', 'dko-img:v1']);
    assert.equal(tagged.Os, 'linux');
    const hist = (await docker.getImage('dko-img:v1').history()) as Array<{ Id: string }>;
    assert.equal(hist[0]?.Id, id);
    const listed = await docker.listImages({ filters: { reference: ['dko-img'] } });
    assert.deepEqual(listed.map((i) => i.Id), [id]);
    const removed = (await docker.getImage('dko-img:v1').remove()) as Array<Record<string, string>>;
    assert.deepEqual(removed, [{ Untagged: 'dko-img:v1' }]);
    await assert.rejects(docker.getImage('dko-img:v1').inspect(), (err) => statusOf(err) === 404);
    await assert.rejects(docker.getImage('no-such-image:nope').remove(), (err) => statusOf(err) === 404 && /No such image: no-such-image:nope/.test(String(err)));
  });

  test('build: a Dockerfile in a tar context, build args and labels; a failing step', async () => {
    const context = (dockerfile: string): NodeJS.ReadableStream => {
      const p = pack();
      p.entry({ name: 'Dockerfile' }, dockerfile);
      p.finalize();
      return p as unknown as NodeJS.ReadableStream;
    };
    const ok = await docker.buildImage(context('FROM busybox\nARG MSG=none\nRUN echo "built-$MSG" > /built.txt\nLABEL built.by=dko\nCMD ["cat", "/built.txt"]\n'), {
      t: 'dko-built:1',
      buildargs: { MSG: 'yes' },
      rm: true,
    });
    const events = await new Promise<Array<{ stream?: string; error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(ok, (err: Error | null, out: Array<{ stream?: string; error?: string }>) => (err ? reject(err) : resolve(out))),
    );
    const log = events.map((e) => e.stream ?? '').join('');
    assert.match(log, /Successfully built [0-9a-f]{12}/);
    assert.match(log, /Successfully tagged dko-built:1/);
    assert.equal((await docker.getImage('dko-built:1').inspect()).Config.Labels?.['built.by'], 'dko');
    const c = await docker.createContainer({ Image: 'dko-built:1' });
    await c.start();
    await c.wait();
    const out = (await c.logs({ stdout: true, follow: false })) as unknown as Buffer;
    assert.equal(splitFrames(out).out, 'built-yes\n');
    await c.remove();
    const bad = await docker.buildImage(context('FROM busybox\nRUN exit 4\n'), { rm: true });
    const badEvents = await collect(bad as unknown as Readable);
    assert.match(badEvents.toString(), /"errorDetail":\{"code":4,"message":"The command '\/bin\/sh -c exit 4' returned a non-zero code: 4"\}/);
    await docker.getImage('dko-built:1').remove();
  });

  test('networks: create, connect with an alias, inspect, disconnect (the first network too), remove', async () => {
    const net = await docker.createNetwork({ Name: 'dko-net', Driver: 'bridge', Labels: { suite: 'dko' } });
    const c = await docker.createContainer({ name: 'dko-netc', Image: 'busybox', Cmd: ['sleep', '600'] });
    await c.start();
    try {
      await net.connect({ Container: 'dko-netc', EndpointConfig: { Aliases: ['dko-alias'] } });
      const ni = await net.inspect();
      assert.equal(ni.Driver, 'bridge');
      assert.deepEqual(ni.Labels, { suite: 'dko' });
      assert.ok(Object.keys(ni.Containers ?? {}).includes(c.id));
      const ep = (await c.inspect()).NetworkSettings.Networks['dko-net'];
      assert.ok(ep?.Aliases?.includes('dko-alias'));
      const listed = await docker.listNetworks({ filters: { label: ['suite=dko'] } });
      assert.deepEqual(listed.map((n) => n.Name), ['dko-net']);
      await assert.rejects(net.remove(), (err) => statusOf(err) === 403 && /has active endpoints/.test(String(err)));
      await net.disconnect({ Container: 'dko-netc' });
      assert.deepEqual((await net.inspect()).Containers, {});
      await docker.getNetwork('bridge').disconnect({ Container: 'dko-netc' });
      assert.deepEqual((await c.inspect()).NetworkSettings.Networks, {});
    } finally {
      await c.remove({ force: true });
    }
    await net.remove();
    await assert.rejects(net.inspect(), (err) => statusOf(err) === 404 && /network \S+ not found/.test(String(err)));
  });

  test('volumes: create, list, inspect, use, remove', async () => {
    await docker.createVolume({ Name: 'dko-vol', Labels: { suite: 'dko' } });
    const v = await docker.getVolume('dko-vol').inspect();
    assert.equal(v.Name, 'dko-vol');
    assert.equal(v.Driver, 'local');
    assert.match(v.Mountpoint, /\/dko-vol\/_data$/);
    const list = await docker.listVolumes({ filters: { label: ['suite=dko'] } });
    assert.deepEqual(list.Volumes.map((x) => x.Name), ['dko-vol']);
    const w = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo kept > /v/f'], HostConfig: { Binds: ['dko-vol:/v'] } });
    await w.start();
    assert.equal(((await w.wait()) as { StatusCode: number }).StatusCode, 0);
    await w.remove();
    const r = await docker.createContainer({ Image: 'busybox', Cmd: ['cat', '/v/f'], HostConfig: { Mounts: [{ Type: 'volume', Source: 'dko-vol', Target: '/v', ReadOnly: true }] } });
    await r.start();
    await r.wait();
    assert.equal(splitFrames((await r.logs({ stdout: true, follow: false })) as unknown as Buffer).out, 'kept\n');
    await assert.rejects(docker.getVolume('dko-vol').remove(), (err) => statusOf(err) === 409 && /volume is in use/.test(String(err)));
    await r.remove();
    assert.deepEqual((await docker.getVolume('dko-vol').inspect()).Labels, { suite: 'dko' });
    await docker.getVolume('dko-vol').remove();
    await assert.rejects(docker.getVolume('dko-vol').inspect(), (err) => statusOf(err) === 404);
  });
});

/** A multiplexed body (8-byte headers: stream id, size) split into stdout and stderr. */
function splitFrames(b: Buffer): { out: string; err: string } {
  const parts: Record<number, Buffer[]> = { 1: [], 2: [] };
  for (let at = 0; at + 8 <= b.length; ) {
    const size = b.readUInt32BE(at + 4);
    parts[b[at] ?? 1]?.push(b.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return { out: Buffer.concat(parts[1] ?? []).toString(), err: Buffer.concat(parts[2] ?? []).toString() };
}

function bufferStream(b: Buffer): Readable {
  const s = new PassThrough();
  s.end(b);
  return s;
}
