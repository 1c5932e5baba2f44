// Commits a build step as an image, or reuses the cached one whose key (command, run config, author, extra) matches.
import { createHash } from 'node:crypto';
import type { ImageConfig, ImageHistoryEntry, ImageRunConfig } from '../../images/image-config.js';
import type { BuildBackend } from './build-backend.js';
import { normaliseRunConfig } from './run-config.js';
import { type StageState, stageShell } from './stage-state.js';

export interface StepCommitOptions {
  readonly noCache: boolean;
  readonly architecture: string;
  readonly os: string;
  readonly stream: (text: string) => void;
}

/** Makes a step's layer; resolves to its diff id (undefined: no layer). */
export type ProduceLayer = () => Promise<string | undefined>;

/** The key a step is cached under below its parent image. */
export function stepCacheKey(history: ImageHistoryEntry, runConfig: ImageRunConfig, author: string, extra: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ createdBy: history.created_by, run: { ...runConfig, Image: '' }, author, extra }))
    .digest('hex');
}

export class StepCommitter {
  constructor(
    private readonly backend: BuildBackend,
    private readonly opts: StepCommitOptions,
  ) {}

  /** Metadata-only step: a new config, no layer (history `empty_layer`). */
  async commitMeta(state: StageState, run: ImageRunConfig, comment: string, singleSpace = false): Promise<void> {
    const createdBy = `${stageShell(state).join(' ')} #(nop) ${singleSpace ? '' : ' '}${comment}`;
    await this.commitStep(state, run, { created_by: createdBy, empty_layer: true }, undefined, undefined);
  }

  async commitStep(state: StageState, run: ImageRunConfig, history: ImageHistoryEntry, produce: ProduceLayer | undefined, cacheExtra: string | undefined): Promise<void> {
    const parentId = state.image.id;
    const runConfig = normaliseRunConfig(run, parentId);
    const key = stepCacheKey(history, runConfig, state.config.author ?? '', cacheExtra ?? '');
    const cacheParent = parentId === '' ? 'scratch' : parentId;
    if (!this.opts.noCache) {
      const hit = this.backend.cacheGet(cacheParent, key);
      if (hit) {
        this.opts.stream(' ---> Using cache\n');
        state.image = hit;
        state.config = hit.config;
        state.run = { ...(hit.config.config ?? {}) };
        return;
      }
    }
    const diffId = produce ? await produce() : undefined;
    const created = new Date().toISOString().replace(/\.?0*Z$/, 'Z');
    const config: ImageConfig = {
      ...state.config,
      architecture: state.config.architecture || this.opts.architecture,
      os: state.config.os || this.opts.os,
      created,
      // the classic builder records the step's parent image in the config (ParentId in `docker images`)
      ...(parentId !== '' ? { parent: parentId } : {}),
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: [...state.config.rootfs.diff_ids, ...(diffId ? [diffId] : [])] },
      history: [...(state.config.history ?? []), { created, ...history, ...(diffId ? { empty_layer: undefined } : {}) }],
    };
    delete (config as { container_config?: unknown }).container_config;
    delete (config as { container?: unknown }).container;
    if (config.history) config.history = config.history.map((h) => JSON.parse(JSON.stringify(h)) as ImageHistoryEntry);
    const image = await this.backend.commit(config);
    this.backend.cachePut(cacheParent, key, image.id);
    state.image = image;
    state.config = image.config;
    state.run = { ...(image.config.config ?? {}) };
  }

  /** A scratch stage's image gets an id before a step needs it as a parent. */
  async ensureCommitted(state: StageState): Promise<void> {
    if (state.image.id !== '') return;
    state.image = await this.backend.commit({ ...state.config, created: new Date(0).toISOString() });
  }
}
