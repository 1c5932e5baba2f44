import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { invalidArgument } from '../../errors/engine-error.js';
import { applyConfigChanges } from '../../images/config-changes.js';
import { mergeCommitConfig } from './commit-config.js';
import type { ImageConfig, ImageRunConfig } from '../../images/image-config.js';
import { layerDiffStream } from '../../images/layer-diff.js';
import { familiarString } from '../../images/reference.js';
import { countLayersWithDiffId } from '../../store/image-queries.js';
import { storeImage } from '../images/store-image.js';
import { applyTag, nowRfc3339Nano, tagReference } from '../images/tag.js';
import { findImage } from '../images/resolve.js';
import { requireContainer } from './container-repo.js';
import { INIT_LAYER_PATHS } from './export.js';
import { pauseContainer, unpauseContainer } from './pause.js';
import type { ContainerSupervisor } from './supervisor.js';

export interface CommitOptions {
  readonly repo?: string;
  readonly tag?: string;
  readonly comment?: string;
  readonly author?: string;
  /** Pause a running container while its changes are read (Docker's default). */
  readonly pause?: boolean;
  /** Dockerfile instructions applied to the config (`-c`). */
  readonly changes?: readonly string[];
  /** The body's container config (docker-py `conf`): the image config, with the container's filling what it leaves unset. */
  readonly config?: ImageRunConfig;
}

/** Drops the init layer's files from a layer tar (Docker keeps them in a layer of their own that is never committed). */
function withoutInitFiles(source: Readable): Readable {
  const ex = tar.extract();
  const pack = tar.pack();
  ex.on('entry', (header, stream, next) => {
    if (INIT_LAYER_PATHS.includes(header.name.replace(/\/$/, ''))) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    stream.pipe(pack.entry(header, (err) => next(err ?? undefined)));
  });
  ex.on('finish', () => pack.finalize());
  ex.on('error', (err) => pack.destroy(err));
  source.on('error', (err) => ex.destroy(err));
  source.pipe(ex);
  return pack as unknown as Readable;
}

/**
 * POST /commit: the container's upper dir becomes a new layer on top of
 * its image; the config is the container's (with `changes` applied), and
 * history gets one entry. Returns the new image id.
 */
export async function commitContainer(sup: ContainerSupervisor, ref: string, opts: CommitOptions = {}): Promise<string> {
  const ctx = sup.ctx;
  const c = requireContainer(ctx.db, ref);
  const target = opts.repo ? tagReference(opts.repo, opts.tag) : undefined;
  if (!opts.repo && opts.tag) throw invalidArgument('tag is specified without a repository');
  const image = findImage(ctx, c.imageId);
  if (!image) throw invalidArgument(`the image of container ${c.name} is gone`);
  const pause = (opts.pause ?? true) && c.state.Running && !c.state.Paused;
  if (pause) await pauseContainer(sup, c.id);
  let diffId: string;
  try {
    const blob = await ctx.content.ingest(withoutInitFiles(layerDiffStream(`${c.runtime.rwDir}/upper`, ctx.settings.userns ? { idMap: ctx.settings.userns.idMap } : {})));
    diffId = blob.digest;
  } finally {
    if (pause) await unpauseContainer(sup, c.id).catch(() => undefined);
  }
  const created = nowRfc3339Nano();
  const base = image.config;
  const runConfig = { ...c.config } as ImageRunConfig;
  delete runConfig.Image;
  const config: ImageConfig = {
    architecture: base.architecture,
    ...(base.variant !== undefined ? { variant: base.variant } : {}),
    os: base.os,
    created,
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.comment ? { comment: opts.comment } : {}),
    container: c.id,
    // the image it was committed from (`Parent` in inspect, ParentId in `docker images`), as the classic builder records it
    parent: image.id,
    config: opts.config
      ? mergeCommitConfig(applyConfigChanges({ ...opts.config }, opts.changes ?? []), runConfig)
      : applyConfigChanges(runConfig, opts.changes ?? []),
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, diffId] },
    history: [
      ...(base.history ?? []),
      {
        created,
        created_by: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].join(' '),
        ...(opts.author ? { author: opts.author } : {}),
        ...(opts.comment ? { comment: opts.comment } : {}),
      },
    ],
  };
  let id: string;
  try {
    ({ id } = await storeImage(
      ctx,
      Buffer.from(JSON.stringify(config)),
      config.rootfs.diff_ids.map((d) => ({ open: () => ctx.content.readStream(d) })),
    ));
  } catch (err) {
    if (countLayersWithDiffId(ctx.db, diffId) === 0) await ctx.content.delete(diffId);
    throw err;
  }
  ctx.events.publish('container', 'commit', c.id, { comment: opts.comment ?? '', imageID: id, imageRef: target ? familiarString(target) : '', name: c.name });
  if (target) applyTag(ctx, id, target);
  return id;
}
