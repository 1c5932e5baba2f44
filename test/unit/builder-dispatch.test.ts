import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { BuildBackend, BuildImage, RunStepRequest } from '../../src/builder/build/build-backend.js';
import { BuildError } from '../../src/builder/build/build-context.js';
import { DockerfileBuilder } from '../../src/builder/build/dockerfile-builder.js';
import type { ImageConfig } from '../../src/images/image-config.js';

/** An in-memory engine: images by id, RUN records its command and "produces" a layer named after it. */
class FakeBackend implements BuildBackend {
  readonly images = new Map<string, BuildImage>();
  readonly cache = new Map<string, string>();
  readonly runs: RunStepRequest[] = [];
  exitCode = 0;

  constructor() {
    const base: ImageConfig = { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    this.images.set('busybox', { id: 'sha256:base', config: base });
  }
  findImage(ref: string): BuildImage | undefined {
    return this.images.get(ref) ?? [...this.images.values()].find((i) => i.id === ref);
  }
  async pullImage(ref: string): Promise<BuildImage> {
    throw new Error(`pull access denied for ${ref}`);
  }
  async runStep(req: RunStepRequest): Promise<{ exitCode: number; diffId?: string; containerId: string }> {
    this.runs.push(req);
    req.onContainer('c'.repeat(64));
    return this.exitCode === 0 ? { exitCode: 0, diffId: digest(req.cmd.join(' ')), containerId: 'c'.repeat(64) } : { exitCode: this.exitCode, containerId: 'c'.repeat(64) };
  }
  async modifyRootfs(_image: BuildImage, _fn: (root: string) => Promise<void>): Promise<string> {
    return digest('copy');
  }
  async withImageRootfs<T>(_image: BuildImage, fn: (root: string) => Promise<T>): Promise<T> {
    return fn('/nonexistent');
  }
  async resolveOwner(): Promise<{ uid: number; gid: number }> {
    return { uid: 0, gid: 0 };
  }
  async commit(config: ImageConfig): Promise<BuildImage> {
    const id = digest(JSON.stringify(config));
    const image = { id, config: JSON.parse(JSON.stringify(config)) as ImageConfig };
    this.images.set(id, image);
    return image;
  }
  cacheGet(parentId: string, key: string): BuildImage | undefined {
    const id = this.cache.get(`${parentId}/${key}`);
    return id === undefined ? undefined : this.images.get(id);
  }
  cachePut(parentId: string, key: string, imageId: string): void {
    this.cache.set(`${parentId}/${key}`, imageId);
  }
}

const digest = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const CTX = '/dev/shm/berth-builder-dispatch-test';

async function build(backend: FakeBackend, dockerfile: string, opts: { target?: string; buildArgs?: Record<string, string | null>; noCache?: boolean } = {}): Promise<{ id: string; out: string }> {
  await mkdir(CTX, { recursive: true });
  let out = '';
  const b = new DockerfileBuilder(backend, {
    dockerfile,
    contextDir: CTX,
    buildArgs: opts.buildArgs ?? {},
    ...(opts.target ? { target: opts.target } : {}),
    noCache: opts.noCache ?? false,
    labels: {},
    extraHosts: [],
    architecture: 'amd64',
    os: 'linux',
    stream: (t) => {
      out += t;
    },
  });
  const id = await b.build(DockerfileBuilder.plan(dockerfile));
  return { id, out };
}

describe('classic builder dispatch', () => {
  test('ARG/ENV substitution, RUN env and history, unused build-arg warning', async () => {
    const be = new FakeBackend();
    const { id, out } = await build(be, 'ARG TAG=busybox\nFROM $TAG\nARG V=1\nENV W=${V}0\nRUN echo $W\n', { buildArgs: { V: '7', UNUSED: 'x' } });
    const img = be.findImage(id);
    assert.deepEqual(img?.config.config?.Env, ['PATH=/bin', 'W=70']);
    assert.deepEqual(be.runs[0]?.cmd, ['/bin/sh', '-c', 'echo $W']);
    assert.deepEqual(be.runs[0]?.env, ['PATH=/bin', 'W=70', 'V=7']);
    assert.deepEqual(img?.config.history?.map((h) => [h.created_by, h.empty_layer ?? false]), [
      ['/bin/sh -c #(nop)  ARG V=1', true],
      ['/bin/sh -c #(nop)  ENV W=70', true],
      ['|1 V=7 /bin/sh -c echo $W', false],
    ]);
    assert.match(out, /^Step 5\/5 : RUN echo \$W$/m);
    assert.match(out, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
  });

  test('second build hits the cache for every step; --no-cache does not', async () => {
    const be = new FakeBackend();
    const df = 'FROM busybox\nRUN a\nCMD ["b"]\n';
    const first = await build(be, df);
    const second = await build(be, df);
    assert.equal(second.id, first.id);
    assert.equal(second.out.split(' ---> Using cache').length - 1, 2);
    assert.equal(be.runs.length, 1);
    await build(be, df, { noCache: true });
    assert.equal(be.runs.length, 2);
  });

  test('--target skips stages it does not need; ENTRYPOINT drops the base CMD', async () => {
    const be = new FakeBackend();
    const df = 'FROM busybox AS a\nRUN from-a\nFROM busybox AS skipped\nRUN from-skipped\nFROM a AS t\nENTRYPOINT ["e"]\n';
    const { id, out } = await build(be, df, { target: 't' });
    assert.deepEqual(be.runs.map((r) => r.cmd[2]), ['from-a']);
    assert.match(out, /^Step 4\/4 : ENTRYPOINT \["e"\]$/m);
    assert.equal(be.findImage(id)?.config.config?.Cmd, null);
    await assert.rejects(build(be, df, { target: 'nope' }), /failed to reach build target nope in Dockerfile/);
  });

  test('a failing RUN is a BuildError with Docker\'s message and the exit code', async () => {
    const be = new FakeBackend();
    be.exitCode = 3;
    await assert.rejects(build(be, 'FROM busybox\nRUN exit 3\n'), (err: unknown) => {
      assert.ok(err instanceof BuildError);
      assert.equal(err.message, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
      assert.equal(err.code, 3);
      return true;
    });
  });

  test('a base image that is not local is pulled; a failed pull fails the build with its message', async () => {
    const be = new FakeBackend();
    await assert.rejects(build(be, 'FROM nosuch\n'), /pull access denied for nosuch/);
    await assert.rejects(build(be, 'FROM busybox\nCOPY --from=nosuch /a /b\n'), /invalid from flag value nosuch: pull access denied for nosuch/);
  });

  test('ONBUILD triggers of the base image run after FROM', async () => {
    const be = new FakeBackend();
    const parent = await build(be, 'FROM busybox\nONBUILD RUN trig\n');
    be.images.set('parent', { id: parent.id, config: be.findImage(parent.id)?.config as ImageConfig });
    const child = await build(be, 'FROM parent\nLABEL x=y\n');
    assert.match(child.out, /# Executing 1 build trigger\n/);
    assert.deepEqual(be.runs.map((r) => r.cmd[2]), ['trig']);
    assert.equal(be.findImage(child.id)?.config.config?.OnBuild, null);
    await rm(CTX, { recursive: true, force: true });
  });
});
