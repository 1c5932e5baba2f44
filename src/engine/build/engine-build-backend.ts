import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BuildBackend, BuildImage, RunStepRequest } from '../../builder/build/build-backend.js';
import { chainIds } from '../../images/chain-id.js';
import type { ImageConfig } from '../../images/image-config.js';
import { layerDiffStream } from '../../images/layer-diff.js';
import { MNT_DETACH, MS_RDONLY, mount, umount2 } from '../../lib/syscalls.js';
import { isMountPoint } from '../../lib/mount-table.js';
import type { AttachSink } from '../containers/attach-sink.js';
import { requireContainer } from '../containers/container-repo.js';
import { createContainer } from '../containers/create.js';
import { killContainer } from '../containers/kill.js';
import { removeContainer } from '../containers/remove.js';
import { startContainer } from '../containers/start.js';
import type { ContainerSupervisor } from '../containers/supervisor.js';
import { resolveUser } from '../containers/user.js';
import { enginePaths } from '../engine-context.js';
import { findImage } from '../images/resolve.js';
import { pullImage } from '../images/pull.js';
import { parseReference } from '../../images/reference.js';
import type { RegistryCredentials } from '../../registry/client/registry-client.js';
import type { StepResources } from './build-image.js';
import { storeImage } from '../images/store-image.js';
import { deleteCacheEntry, getCachedImageId, putCachedImageId } from './build-cache.js';

/** Files and directories runc creates as mount points; they are not the step's changes. */
const MOUNTPOINT_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv'];
const MOUNTPOINT_DIRS = ['dev/pts', 'dev/shm', 'dev/mqueue', 'dev', 'proc', 'sys'];

/** The builder's view of the engine: containers for RUN, overlay mounts for COPY, the image store and cache. */
export class EngineBuildBackend implements BuildBackend {
  constructor(
    private readonly sup: ContainerSupervisor,
    private readonly registryCredentials: Readonly<Record<string, RegistryCredentials>> = {},
    private readonly stepResources?: StepResources,
  ) {}

  private get ctx() {
    return this.sup.ctx;
  }

  findImage(ref: string): BuildImage | undefined {
    const image = findImage(this.ctx, ref);
    return image ? { id: image.id, config: image.config } : undefined;
  }

  async pullImage(ref: string, opts: { platform?: string; signal?: AbortSignal; progress: (line: string) => void }): Promise<BuildImage> {
    const credentials = credentialsForRegistry(this.registryCredentials, parseReference(ref).domain);
    const { id } = await pullImage(this.ctx, ref, {
      ...(credentials ? { credentials } : {}),
      ...(opts.platform !== undefined ? { platform: opts.platform } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      progress: (m) => {
        // per-byte progress is noise in a build log; status lines are kept
        if (m.progressDetail !== undefined && m.progressDetail.current !== undefined) return;
        if (m.status !== undefined) opts.progress(`${m.id !== undefined ? `${m.id}: ` : ''}${m.status}\n`);
      },
    });
    const image = this.findImage(id);
    if (!image) throw new Error(`pulled image ${id} is missing`);
    return image;
  }

  async runStep(req: RunStepRequest): Promise<{ exitCode: number; diffId?: string; containerId: string }> {
    const { Id: id } = await createContainer(this.sup, {
      config: {
        Image: req.image.id,
        Cmd: [...req.cmd],
        Entrypoint: [''],
        Env: [...req.env],
        User: req.user,
        WorkingDir: req.workingDir,
        AttachStdout: true,
        AttachStderr: true,
        Labels: {},
      },
      hostConfig: {
        ...setResources(this.stepResources),
        ...(req.networkMode !== undefined && req.networkMode !== '' ? { NetworkMode: req.networkMode } : {}),
        ...(req.extraHosts.length > 0 ? { ExtraHosts: [...req.extraHosts] } : {}),
      },
    });
    let kept = false;
    try {
      let ended: () => void = () => undefined;
      const outputDone = new Promise<void>((resolve) => {
        ended = resolve;
      });
      const sink: AttachSink = {
        stdout: true,
        stderr: true,
        wantsStdin: false,
        closed: false,
        write: (_stream, data) => req.output(data),
        end: () => ended(),
      };
      const record = requireContainer(this.ctx.db, id);
      this.sup.addAttachSink(id, sink);
      const exited = this.sup.waitFor(record, 'next-exit');
      req.onContainer(id);
      req.signal?.throwIfAborted();
      const onAbort = (): void => {
        killContainer(this.sup, id).catch(() => undefined);
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      let result;
      try {
        await startContainer(this.sup, id);
        // the client may have gone while the start was under way (a kill then found nothing to kill)
        if (req.signal?.aborted) onAbort();
        result = await exited;
      } finally {
        req.signal?.removeEventListener('abort', onAbort);
      }
      req.signal?.throwIfAborted();
      await Promise.race([outputDone, new Promise((r) => setTimeout(r, 2000))]);
      if (result.StatusCode !== 0) {
        kept = req.keep === 'failed' || req.keep === 'all';
        return { exitCode: result.StatusCode, containerId: id };
      }
      const upper = join(record.runtime.rwDir, 'upper');
      await dropMountpoints(upper);
      const diffId = await this.ingestDiff(upper);
      kept = req.keep === 'all';
      return { exitCode: 0, diffId, containerId: id };
    } finally {
      if (!kept) await removeContainer(this.sup, id, { force: true }).catch((err: unknown) => {
        this.ctx.log.warn('removing build container failed', { id, error: (err as Error).message });
      });
    }
  }

  private async ingestDiff(upper: string): Promise<string> {
    const blob = await this.ctx.content.ingest(layerDiffStream(upper, this.ctx.settings.userns ? { idMap: this.ctx.settings.userns.idMap } : {}));
    return blob.digest;
  }

  private async tempDir(kind: string): Promise<string> {
    const dir = join(enginePaths.tmp(this.ctx.settings), `build-${kind}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async modifyRootfs(image: BuildImage, fn: (root: string) => Promise<void>): Promise<string> {
    const dir = await this.tempDir('rw');
    const merged = join(dir, 'merged');
    try {
      await mkdir(merged);
      const mounts = await this.ctx.snapshots.prepareWritable(join(dir, 'rw'), chainIds(image.config.rootfs.diff_ids));
      for (const m of mounts) mount(m.source, merged, m.type, 0, m.options.join(','));
      try {
        await fn(merged);
      } finally {
        await unmountAll(merged);
      }
      return await this.ingestDiff(join(dir, 'rw', 'upper'));
    } finally {
      await unmountAll(merged).catch(() => undefined);
      await this.ctx.snapshots.removeWritable(join(dir, 'rw')).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  async withImageRootfs<T>(image: BuildImage, fn: (root: string) => Promise<T>): Promise<T> {
    const chain = chainIds(image.config.rootfs.diff_ids);
    if (chain.length === 1) return fn(this.ctx.snapshots.layerDir(chain[0] as string));
    const dir = await this.tempDir('ro');
    try {
      if (chain.length === 0) return await fn(dir);
      const lowers = [...chain].reverse().map((c) => this.ctx.snapshots.layerDir(c));
      const merged = join(dir, 'merged');
      await mkdir(merged);
      mount('overlay', merged, 'overlay', MS_RDONLY, `lowerdir=${lowers.join(':')}`);
      try {
        return await fn(merged);
      } finally {
        await unmountAll(merged);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async resolveOwner(root: string, spec: string): Promise<{ uid: number; gid: number }> {
    const colon = spec.indexOf(':');
    const user = colon < 0 ? spec : spec.slice(0, colon);
    const group = colon < 0 ? user : spec.slice(colon + 1);
    try {
      const r = await resolveUser(root, `${user}:${group}`);
      return { uid: r.uid, gid: r.gid };
    } catch (err) {
      // Docker's wording (parseChownFlag)
      const what = /group/.test((err as Error).message) ? `can't find gid for group ${group}: no such group: ${group}` : `can't find uid for user ${user}: no such user: ${user}`;
      throw new Error(`unable to convert uid/gid chown string to host mapping: ${what}`, { cause: err });
    }
  }

  async commit(config: ImageConfig): Promise<BuildImage> {
    const bytes = Buffer.from(JSON.stringify(config));
    const layers = config.rootfs.diff_ids.map((d) => ({ open: () => this.ctx.content.readStream(d) }));
    const { id } = await storeImage(this.ctx, bytes, layers);
    return { id, config: JSON.parse(bytes.toString('utf8')) as ImageConfig };
  }

  cacheGet(parentId: string, key: string): BuildImage | undefined {
    const id = getCachedImageId(this.ctx.db, parentId, key);
    if (id === undefined) return undefined;
    const image = this.findImage(id);
    if (!image) deleteCacheEntry(this.ctx.db, parentId, key);
    return image;
  }

  cachePut(parentId: string, key: string, imageId: string): void {
    putCachedImageId(this.ctx.db, parentId, key, imageId);
  }
}

async function unmountAll(path: string): Promise<void> {
  while (await isMountPoint(path)) umount2(path, MNT_DETACH);
}

/** Removes the empty mount points runc made in the upper dir, so they do not end up in the layer. */
async function dropMountpoints(upper: string): Promise<void> {
  for (const f of MOUNTPOINT_FILES) {
    const p = join(upper, f);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isFile() && st.size === 0) await rm(p, { force: true });
  }
  for (const d of MOUNTPOINT_DIRS) {
    const p = join(upper, d);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isDirectory() && (await readdir(p)).length === 0) await rmdir(p).catch(() => undefined);
  }
}

/** The step resources that are set (zero and "" mean unset, as moby's hostConfigFromOptions leaves them). */
function setResources(r: StepResources | undefined): Record<string, number | string> {
  if (!r) return {};
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0 && v !== ''));
}

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** The entry for a registry in an auth-config map, keyed as the docker CLI keys it (`https://index.docker.io/v1/`, `host:port`, `https://host/…`). */
export function credentialsForRegistry(map: Readonly<Record<string, RegistryCredentials>>, domain: string): RegistryCredentials | undefined {
  const hostOf = (key: string): string => key.replace(/^https?:\/\//, '').split('/')[0] ?? '';
  const wanted = DOCKER_HUB_NAMES.has(domain) ? DOCKER_HUB_NAMES : new Set([domain]);
  for (const [key, creds] of Object.entries(map)) if (wanted.has(hostOf(key))) return creds;
  return undefined;
}
